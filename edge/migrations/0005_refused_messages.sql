-- A visitor message that was refused a reply (the organization's budget was spent) keeps the
-- refusal's error code, so a repeat of it is answered at once from what is stored, and the
-- conversation's next messages are refused without being stored until the budget allows again.
ALTER TABLE messages ADD COLUMN refusal TEXT CHECK (refusal IS NULL OR (role = 'user' AND refusal IN ('budget_exhausted')));
