"""One router per area: search, answers and topics, health."""
