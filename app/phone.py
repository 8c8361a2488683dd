"""Phone numbers as people read them, written the way the number's own country writes them."""

import phonenumbers


def spaced(number: str) -> str:
    """Group an E.164 number for reading: +44 7700 900123, +1 415-555-0100; "" stays ""."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
