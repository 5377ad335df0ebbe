-- A campaign whose text is a survey question: its survey, created when the
-- campaign starts; each campaign message becomes a survey recipient, so a
-- reply that matches an option is a vote.
ALTER TABLE campaigns ADD COLUMN survey_id INTEGER REFERENCES surveys (id);
