from django.urls import path

from appointments import views

app_name = "appointments"

urlpatterns = [
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
