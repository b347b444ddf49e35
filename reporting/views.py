from django.views import View


class ReportListView(View):
    pass


class InboxView(View):
    pass


class ReportDetailView(View):
    pass


class ReportEditView(View):
    pass


class ReportReviewView(View):
    pass


class CoordinationDetailView(View):
    pass
