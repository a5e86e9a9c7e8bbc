"""Private calendar feeds."""

from __future__ import annotations

from rest_framework import serializers

from appointments.models import CalendarFeed

TITLE_MODE_HELP = (
    "How events are titled: `detailed` (type and practitioner) or `neutral` "
    '(only "Hospital appointment", for calendars kept by another company).'
)


class FeedInput(serializers.Serializer[None]):
    title_mode = serializers.ChoiceField(
        choices=CalendarFeed.TitleMode.choices,
        required=False,
        help_text=TITLE_MODE_HELP + " Creating keeps the old link's choice unless given.",
    )


class FeedTitleModeInput(serializers.Serializer[None]):
    title_mode = serializers.ChoiceField(
        choices=CalendarFeed.TitleMode.choices, help_text=TITLE_MODE_HELP
    )


class FeedOutput(serializers.Serializer[dict[str, str]]):
    url = serializers.URLField()
    title_mode = serializers.ChoiceField(
        choices=CalendarFeed.TitleMode.choices, help_text=TITLE_MODE_HELP
    )


class FeedSettingsOutput(serializers.Serializer[CalendarFeed]):
    title_mode = serializers.ChoiceField(
        choices=CalendarFeed.TitleMode.choices, help_text=TITLE_MODE_HELP
    )
    created_at = serializers.DateTimeField()
