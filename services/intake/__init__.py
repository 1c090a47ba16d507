"""What customers send in through an organization's connections, turned into complaints or into messages on
them: the mail read from its mailbox (inbound_mail, with reading for the mail itself) and the conversations
with its bots and its SMS number (conversations). The web side is web/intake, the mailbox's job workers/intake.
"""
