-- The node (NodeLiveness) whose request holds a started claim, so that a claim whose holder died can be taken over
-- as soon as that is certain instead of when its lease runs out. NULL: the lease alone decides.
ALTER TABLE idempotency_keys ADD COLUMN holder_node INTEGER;
