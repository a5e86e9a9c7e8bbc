"""The appointments pages' URLs (/appointments/...)."""

from django.urls import path

from appointments.views import appointment, booking, manage, patient, staff

app_name = "appointments"

urlpatterns = [
    path("", patient.my_appointments, name="mine"),
    path("book/", booking.book, name="book"),
    path("book/confirm/", booking.book_confirm, name="book_confirm"),
    path("waitlist/", patient.waitlist_page, name="waitlist"),
    path("calendar-feed/", patient.calendar_feed_page, name="calendar_feed_page"),
    path("calendar/<str:token>.ics", patient.calendar_feed, name="calendar_feed"),
    path("schedule/", staff.schedule, name="schedule"),
    path("reception/", staff.reception, name="reception"),
    path("reception/patients/new/", booking.register_patient, name="register_patient"),
    path("manage/", manage.manage_list, name="manage"),
    path("manage/<uuid:practitioner_id>/", manage.manage_practitioner, name="manage_practitioner"),
    path("manage/<uuid:practitioner_id>/hours/", manage.add_hours, name="manage_add_hours"),
    path(
        "manage/<uuid:practitioner_id>/hours/<uuid:rule_id>/remove/",
        manage.remove_hours,
        name="manage_remove_hours",
    ),
    path(
        "manage/<uuid:practitioner_id>/exceptions/",
        manage.add_exception,
        name="manage_add_exception",
    ),
    path(
        "manage/<uuid:practitioner_id>/exceptions/<uuid:exception_id>/remove/",
        manage.remove_exception,
        name="manage_remove_exception",
    ),
    path("<uuid:appointment_id>/", appointment.detail, name="detail"),
    path("<uuid:appointment_id>/reschedule/", appointment.reschedule, name="reschedule"),
    path("<uuid:appointment_id>/cancel/", appointment.cancel, name="cancel"),
    path("<uuid:appointment_id>/calendar.ics", appointment.appointment_ics, name="ics"),
    path(
        "<uuid:appointment_id>/status/<str:to_status>/",
        appointment.set_status,
        name="set_status",
    ),
]
