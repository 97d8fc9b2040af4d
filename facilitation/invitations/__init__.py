"""From coverage gaps to invitations for the next meeting.

- models.py: the invitation send log (unique per meeting × address), organisations' stored
  contacts, and the opt-outs (「案内不要」, kept per address);
- templates.py: the invitation e-mail's template, and the note on how to stop that every one ends with;
- invite.py: the list (history.coverage's gaps with each one's address and state), contacts,
  opt-outs, the draft, sending through mail.delivery, the log;
- outcome.py: invited / registered / attended organisations by region, the committee's protected copy.
"""
