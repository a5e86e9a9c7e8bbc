"""The appointments API's URLs (/api/v1/...)."""

from django.urls import path

from appointments.apis import bookings, calendar, schedules, slots, waitlist

urlpatterns = [
    path("appointment-types", slots.AppointmentTypeListApi.as_view(), name="appointment-types"),
    path("practitioners", slots.PractitionerListApi.as_view(), name="practitioners"),
    path("slots", slots.SlotListApi.as_view(), name="slots"),
    path("appointments", bookings.AppointmentListApi.as_view(), name="appointments"),
    path(
        "appointments/<uuid:appointment_id>",
        bookings.AppointmentDetailApi.as_view(),
        name="appointment",
    ),
    path(
        "appointments/<uuid:appointment_id>/reschedule",
        bookings.RescheduleApi.as_view(),
        name="appointment-reschedule",
    ),
    path(
        "appointments/<uuid:appointment_id>/cancel",
        bookings.CancelApi.as_view(),
        name="appointment-cancel",
    ),
    path(
        "appointments/<uuid:appointment_id>/check-in",
        bookings.CheckInApi.as_view(),
        name="appointment-check-in",
    ),
    path(
        "appointments/<uuid:appointment_id>/check-in/undo",
        bookings.CheckInUndoApi.as_view(),
        name="appointment-check-in-undo",
    ),
    path(
        "appointments/<uuid:appointment_id>/start",
        bookings.StartApi.as_view(),
        name="appointment-start",
    ),
    path(
        "appointments/<uuid:appointment_id>/complete",
        bookings.CompleteApi.as_view(),
        name="appointment-complete",
    ),
    path(
        "appointments/<uuid:appointment_id>/no-show",
        bookings.NoShowApi.as_view(),
        name="appointment-no-show",
    ),
    path(
        "appointments/<uuid:appointment_id>/calendar.ics",
        bookings.AppointmentIcsApi.as_view(),
        name="appointment-ics",
    ),
    path("waitlist", waitlist.WaitlistApi.as_view(), name="waitlist"),
    path("waitlist/<uuid:entry_id>", waitlist.WaitlistEntryApi.as_view(), name="waitlist-entry"),
    path(
        "waitlist/offers/<uuid:appointment_id>/accept",
        waitlist.WaitlistAcceptApi.as_view(),
        name="waitlist-accept",
    ),
    path(
        "waitlist/offers/<uuid:appointment_id>/decline",
        waitlist.WaitlistDeclineApi.as_view(),
        name="waitlist-decline",
    ),
    path("calendar-feed", calendar.CalendarFeedApi.as_view(), name="calendar-feed"),
    path(
        "practitioners/<uuid:practitioner_id>/working-hours",
        schedules.WorkingHoursApi.as_view(),
        name="working-hours",
    ),
    path(
        "practitioners/<uuid:practitioner_id>/working-hours/<uuid:rule_id>",
        schedules.WorkingHoursDetailApi.as_view(),
        name="working-hours-detail",
    ),
    path(
        "practitioners/<uuid:practitioner_id>/exceptions",
        schedules.ExceptionApi.as_view(),
        name="exceptions",
    ),
    path(
        "practitioners/<uuid:practitioner_id>/exceptions/<uuid:exception_id>",
        schedules.ExceptionDetailApi.as_view(),
        name="exception-detail",
    ),
]
