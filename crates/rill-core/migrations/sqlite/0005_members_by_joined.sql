-- Version 5: a channel's members in the order they joined, so that a page of a large channel's members
-- (channel views, QueryMembers) is an index range rather than a sort of every member.

CREATE INDEX members_by_joined ON members (app_id, cid, created_at, user_id);
