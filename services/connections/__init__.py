"""A tenant's connections: its own SMS gateway, mail server, mailbox, bots, messengers and webhook, as its admins
set them up (operations) and as the rest of the service finds and sends through them (queries). The protocols
themselves are services.gateways's.
"""
