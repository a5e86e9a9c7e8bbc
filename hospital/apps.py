from django.apps import AppConfig


class HospitalConfig(AppConfig):
    """The project package as an app: its management commands (seed_demo) and nothing else."""

    name = "hospital"
    verbose_name = "Hospital platform"
