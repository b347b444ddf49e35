"""Excel batches: download a pre-filled template, upload it, preview, commit. (In progress.)"""

from django.views import View


class TemplateDownloadView(View):
    pass


class UploadView(View):
    pass


class PreviewView(View):
    pass
