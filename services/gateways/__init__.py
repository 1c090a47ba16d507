"""How the service speaks to the outside on a tenant's behalf: SMS gateways, Bot APIs and the other messengers,
signed webhooks, mailboxes over IMAP, each as its API documents it, through connections checked to go only to
public addresses; the tenants' credentials sealed at rest; and the two ways a delivery is refused.

Transports only: nothing here knows a complaint or a notice, or reads the database. Which connections a tenant
has set up, and with what credentials, is services.connections's; what arrives through them becomes complaints
in services.intake.
"""
