from django.urls import path

from appointments import views

app_name = "appointments"

urlpatterns = [
    path("", views.my_appointments, name="mine"),
    path("book/", views.book, name="book"),
    path("book/confirm/", views.book_confirm, name="book_confirm"),
    path("waitlist/", views.waitlist_page, name="waitlist"),
    path("calendar-feed/", views.calendar_feed_page, name="calendar_feed_page"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("schedule/", views.schedule, name="schedule"),
    path("reception/", views.reception, name="reception"),
    path("manage/", views.manage_list, name="manage"),
    path("manage/<uuid:practitioner_id>/", views.manage_practitioner, name="manage_practitioner"),
    path("<uuid:appointment_id>/", views.detail, name="detail"),
    path("<uuid:appointment_id>/reschedule/", views.reschedule, name="reschedule"),
    path("<uuid:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("<uuid:appointment_id>/calendar.ics", views.appointment_ics, name="ics"),
    path("<uuid:appointment_id>/status/<str:to_status>/", views.set_status, name="set_status"),
]
