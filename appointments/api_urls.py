from django.urls import path

from appointments import apis

urlpatterns = [
    path("appointment-types", apis.AppointmentTypeListApi.as_view(), name="appointment-types"),
    path("practitioners", apis.PractitionerListApi.as_view(), name="practitioners"),
    path("slots", apis.SlotListApi.as_view(), name="slots"),
    path("appointments", apis.AppointmentListApi.as_view(), name="appointments"),
    path(
        "appointments/<uuid:appointment_id>",
        apis.AppointmentDetailApi.as_view(),
        name="appointment",
    ),
    path(
        "appointments/<uuid:appointment_id>/reschedule",
        apis.RescheduleApi.as_view(),
        name="appointment-reschedule",
    ),
    path(
        "appointments/<uuid:appointment_id>/cancel",
        apis.CancelApi.as_view(),
        name="appointment-cancel",
    ),
    path(
        "appointments/<uuid:appointment_id>/check-in",
        apis.CheckInApi.as_view(),
        name="appointment-check-in",
    ),
    path(
        "appointments/<uuid:appointment_id>/start",
        apis.StartApi.as_view(),
        name="appointment-start",
    ),
    path(
        "appointments/<uuid:appointment_id>/complete",
        apis.CompleteApi.as_view(),
        name="appointment-complete",
    ),
    path(
        "appointments/<uuid:appointment_id>/no-show",
        apis.NoShowApi.as_view(),
        name="appointment-no-show",
    ),
    path(
        "appointments/<uuid:appointment_id>/calendar.ics",
        apis.AppointmentIcsApi.as_view(),
        name="appointment-ics",
    ),
    path("waitlist", apis.WaitlistApi.as_view(), name="waitlist"),
    path("waitlist/<uuid:entry_id>", apis.WaitlistEntryApi.as_view(), name="waitlist-entry"),
    path(
        "waitlist/offers/<uuid:appointment_id>/accept",
        apis.WaitlistAcceptApi.as_view(),
        name="waitlist-accept",
    ),
    path(
        "waitlist/offers/<uuid:appointment_id>/decline",
        apis.WaitlistDeclineApi.as_view(),
        name="waitlist-decline",
    ),
    path("calendar-feed", apis.CalendarFeedApi.as_view(), name="calendar-feed"),
    path(
        "practitioners/<uuid:practitioner_id>/working-hours",
        apis.WorkingHoursApi.as_view(),
        name="working-hours",
    ),
    path(
        "practitioners/<uuid:practitioner_id>/working-hours/<int:rule_id>",
        apis.WorkingHoursDetailApi.as_view(),
        name="working-hours-detail",
    ),
    path(
        "practitioners/<uuid:practitioner_id>/exceptions",
        apis.ExceptionApi.as_view(),
        name="exceptions",
    ),
    path(
        "practitioners/<uuid:practitioner_id>/exceptions/<int:exception_id>",
        apis.ExceptionDetailApi.as_view(),
        name="exception-detail",
    ),
]
