"""E-mail: ``parse`` turns raw inbound SES messages into the raw material of a
case (its sibling modules each own one concern of that, see parse.py);
``templates`` holds the words of outgoing mail."""
