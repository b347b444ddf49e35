from django.core.checks import run_checks


def test_deploy_checks_refuse_the_development_key_and_debug(settings):
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    settings.DEBUG = True
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert {"portal.E001", "portal.E002"} <= ids


def test_deploy_checks_pass_a_real_key(settings):
    settings.SECRET_KEY = "k" * 20 + "Zq8!vB2@pL5#rT9$wX4%yN7^mC1&" + "j" * 10
    settings.DEBUG = False
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert not {"portal.E001", "portal.E002"} & ids
