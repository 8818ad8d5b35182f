//! The ledger's numbered migrations, the same for both databases: SQLite's, and
//! PostgreSQL's one for one. Run by [`super::schema`].

/// Each entry moves the schema from version `i` to `i + 1`. Append only; never edit.
pub(super) const SQLITE: &[&str] = &[
    // 1: donations, their audit trail, and settings the server keeps for itself.
    r#"
    CREATE TABLE donations (
        id            TEXT PRIMARY KEY,
        amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
        currency      TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'expired')),
        gateway       TEXT NOT NULL,
        gateway_ref   TEXT,
        lang          TEXT NOT NULL,
        donor_name    TEXT,
        donor_email   TEXT,
        anonymous     INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1)),
        client_ip     TEXT,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        UNIQUE (gateway, gateway_ref)
    ) STRICT;
    CREATE INDEX donations_status_created ON donations (status, created_at);

    CREATE TABLE events (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        donation_id  TEXT,
        at           INTEGER NOT NULL,
        kind         TEXT NOT NULL,
        gateway      TEXT,
        from_status  TEXT,
        to_status    TEXT,
        digest       TEXT,
        detail       TEXT
    ) STRICT;
    CREATE INDEX events_donation ON events (donation_id, seq);
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

    CREATE TABLE settings (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    ) STRICT;
    "#,
    // 2: counting a client's unpaid donations (abuse limits) stays an index lookup.
    r#"
    CREATE INDEX donations_client_status ON donations (client_ip, status);
    "#,
    // 3: webhook event ids already applied, so a gateway's redelivery changes nothing.
    r#"
    CREATE TABLE webhook_events (
        gateway      TEXT NOT NULL,
        event_id     TEXT NOT NULL,
        received_at  INTEGER NOT NULL,
        PRIMARY KEY (gateway, event_id)
    ) STRICT;
    "#,
    // 4: the network a client counts by for the open-donations cap (an IPv6 client's /64),
    // counted in the same transaction as the insert it guards.
    r#"
    ALTER TABLE donations ADD COLUMN client_net TEXT;
    UPDATE donations SET client_net = client_ip;
    DROP INDEX donations_client_status;
    CREATE INDEX donations_open_by_net ON donations (client_net) WHERE status = 'pending';
    "#,
    // 5: a payment result already recorded is found by its payload's digest, so a replay
    // adds nothing to the audit trail.
    r#"
    CREATE INDEX events_digest ON events (digest) WHERE digest IS NOT NULL;
    "#,
    // 6: whether a donation was taken with live money (Stripe with a live key) or test
    // money (the sandbox, Stripe test mode): only the running mode's donations count.
    // Stripe's session ids say which mode made them.
    r#"
    ALTER TABLE donations ADD COLUMN live INTEGER NOT NULL DEFAULT 0 CHECK (live IN (0, 1));
    UPDATE donations SET live = 1
        WHERE gateway = 'stripe' AND substr(gateway_ref, 1, 8) = 'cs_live_';
    "#,
    // 7: money after the payment: refunds so far, a dispute and its amount, and the
    // gateway's id of the payment (Stripe's PaymentIntent) that refunds and disputes name.
    r#"
    ALTER TABLE donations ADD COLUMN refunded_minor INTEGER NOT NULL DEFAULT 0
        CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor);
    ALTER TABLE donations ADD COLUMN dispute TEXT NOT NULL DEFAULT ''
        CHECK (dispute IN ('', 'open', 'won', 'lost'));
    ALTER TABLE donations ADD COLUMN dispute_minor INTEGER NOT NULL DEFAULT 0
        CHECK (dispute_minor >= 0 AND dispute_minor <= amount_minor);
    ALTER TABLE donations ADD COLUMN payment_ref TEXT;
    CREATE UNIQUE INDEX donations_payment_ref ON donations (gateway, payment_ref)
        WHERE payment_ref IS NOT NULL;
    "#,
    // 8: reconciliation runs: when each ran, what it looked at and healed, and where the
    // next one starts (the last pending checkout it asked about; the time its listing of
    // the gateway's events next starts from, NULL when the listing did not finish).
    r#"
    CREATE TABLE reconcile_runs (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT,
        gateway           TEXT NOT NULL,
        started_at        INTEGER NOT NULL,
        finished_at       INTEGER NOT NULL,
        sessions_checked  INTEGER NOT NULL CHECK (sessions_checked >= 0),
        events_listed     INTEGER NOT NULL CHECK (events_listed >= 0),
        healed            INTEGER NOT NULL CHECK (healed >= 0),
        sessions_until_at INTEGER,
        sessions_until_id TEXT,
        events_since      INTEGER,
        error             TEXT
    ) STRICT;
    CREATE INDEX donations_pending_created ON donations (gateway, created_at, id)
        WHERE status = 'pending';
    "#,
    // 9: where the donor pays: a donor waiting in line for a checkout is sent there by
    // whichever server answers the waiting page.
    r#"
    ALTER TABLE donations ADD COLUMN checkout_url TEXT;
    "#,
    // 10: receipts (#18). Each donation that succeeds gets the next receipt number in the
    // same transaction (a counter row, so numbers have no gaps and are never reused), and
    // each message to send (a receipt, a refund notice) waits in the outbox until an SMTP
    // server has accepted it. `claimed_until`: a server sending it holds it until then.
    // `receipt_numbering` stays empty: servers sharing a PostgreSQL ledger lock it to
    // number receipts one transaction at a time (never written, so never vacuumed).
    r#"
    ALTER TABLE donations ADD COLUMN receipt_no INTEGER;
    ALTER TABLE donations ADD COLUMN receipt_at INTEGER;
    CREATE UNIQUE INDEX donations_receipt_no ON donations (receipt_no) WHERE receipt_no IS NOT NULL;
    CREATE TABLE counters (
        name   TEXT PRIMARY KEY,
        value  INTEGER NOT NULL CHECK (value >= 0)
    ) STRICT;
    INSERT INTO counters (name, value) VALUES ('receipt', 0);
    CREATE TABLE receipt_numbering (unused INTEGER) STRICT;
    CREATE TABLE outbox (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        donation_id    TEXT NOT NULL,
        kind           TEXT NOT NULL CHECK (kind IN ('receipt', 'refund')),
        ref            TEXT NOT NULL,
        to_addr        TEXT NOT NULL,
        amount_minor   INTEGER NOT NULL CHECK (amount_minor > 0),
        message_key    TEXT NOT NULL UNIQUE,
        status         TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
        attempts       INTEGER NOT NULL DEFAULT 0,
        created_at     INTEGER NOT NULL,
        next_at        INTEGER NOT NULL,
        claimed_until  INTEGER NOT NULL DEFAULT 0,
        sent_at        INTEGER,
        last_error     TEXT,
        UNIQUE (donation_id, kind, ref)
    ) STRICT;
    CREATE INDEX outbox_due ON outbox (next_at) WHERE status = 'queued';
    CREATE INDEX outbox_donation ON outbox (donation_id, seq);
    "#,
    // 11: refund intents (#29). An admin's refund is recorded before the gateway is asked;
    // its number makes the idempotency key, so a retry of the same action repeats that
    // refund, never a second one. `refunded_before`: the donation's refunds when it was
    // made, so a notice whose cumulative amount covers it settles it. One pending at most.
    r#"
    CREATE TABLE refund_intents (
        donation_id      TEXT NOT NULL,
        n                INTEGER NOT NULL CHECK (n > 0),
        amount_minor     INTEGER NOT NULL CHECK (amount_minor > 0),
        refunded_before  INTEGER NOT NULL CHECK (refunded_before >= 0),
        state            TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
        created_at       INTEGER NOT NULL,
        settled_at       INTEGER,
        PRIMARY KEY (donation_id, n)
    ) STRICT;
    CREATE UNIQUE INDEX refund_intents_one_pending ON refund_intents (donation_id)
        WHERE state = 'pending';
    "#,
    // 12: funds (#31). Each donation belongs to one fund, for good. Donations from before
    // funds get '' here; opening the ledger for writing puts them in the first fund the
    // settings list (`open::settle_funds`), in one transaction.
    r#"
    ALTER TABLE donations ADD COLUMN fund TEXT NOT NULL DEFAULT '';
    "#,
];

/// [`SQLITE`]'s migrations, one for one, for PostgreSQL: the same tables, columns and
/// guarantees (integers as BIGINT, flags as BOOLEAN, the append-only trigger in PL/pgSQL).
/// Append only; never edit.
pub(super) const POSTGRES: &[&str] = &[
    // 1
    r#"
    CREATE TABLE donations (
        rowid         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
        id            TEXT PRIMARY KEY,
        amount_minor  BIGINT NOT NULL CHECK (amount_minor > 0),
        currency      TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'expired')),
        gateway       TEXT NOT NULL,
        gateway_ref   TEXT,
        lang          TEXT NOT NULL,
        donor_name    TEXT,
        donor_email   TEXT,
        anonymous     BOOLEAN NOT NULL DEFAULT false,
        client_ip     TEXT,
        created_at    BIGINT NOT NULL,
        updated_at    BIGINT NOT NULL,
        UNIQUE (gateway, gateway_ref)
    );
    CREATE INDEX donations_status_created ON donations (status, created_at);

    CREATE TABLE events (
        seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        donation_id  TEXT,
        at           BIGINT NOT NULL,
        kind         TEXT NOT NULL,
        gateway      TEXT,
        from_status  TEXT,
        to_status    TEXT,
        digest       TEXT,
        detail       TEXT
    );
    CREATE INDEX events_donation ON events (donation_id, seq);
    CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'events are append-only'; END $$;
    CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION events_append_only();
    CREATE TRIGGER events_append_only_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

    CREATE TABLE settings (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    );
    "#,
    // 2
    r#"
    CREATE INDEX donations_client_status ON donations (client_ip, status);
    "#,
    // 3
    r#"
    CREATE TABLE webhook_events (
        gateway      TEXT NOT NULL,
        event_id     TEXT NOT NULL,
        received_at  BIGINT NOT NULL,
        PRIMARY KEY (gateway, event_id)
    );
    "#,
    // 4
    r#"
    ALTER TABLE donations ADD COLUMN client_net TEXT;
    UPDATE donations SET client_net = client_ip;
    DROP INDEX donations_client_status;
    CREATE INDEX donations_open_by_net ON donations (client_net) WHERE status = 'pending';
    "#,
    // 5
    r#"
    CREATE INDEX events_digest ON events (digest) WHERE digest IS NOT NULL;
    "#,
    // 6
    r#"
    ALTER TABLE donations ADD COLUMN live BOOLEAN NOT NULL DEFAULT false;
    UPDATE donations SET live = true
        WHERE gateway = 'stripe' AND substr(gateway_ref, 1, 8) = 'cs_live_';
    "#,
    // 7
    r#"
    ALTER TABLE donations ADD COLUMN refunded_minor BIGINT NOT NULL DEFAULT 0
        CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor);
    ALTER TABLE donations ADD COLUMN dispute TEXT NOT NULL DEFAULT ''
        CHECK (dispute IN ('', 'open', 'won', 'lost'));
    ALTER TABLE donations ADD COLUMN dispute_minor BIGINT NOT NULL DEFAULT 0
        CHECK (dispute_minor >= 0 AND dispute_minor <= amount_minor);
    ALTER TABLE donations ADD COLUMN payment_ref TEXT;
    CREATE UNIQUE INDEX donations_payment_ref ON donations (gateway, payment_ref)
        WHERE payment_ref IS NOT NULL;
    "#,
    // 8
    r#"
    CREATE TABLE reconcile_runs (
        seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        gateway           TEXT NOT NULL,
        started_at        BIGINT NOT NULL,
        finished_at       BIGINT NOT NULL,
        sessions_checked  BIGINT NOT NULL CHECK (sessions_checked >= 0),
        events_listed     BIGINT NOT NULL CHECK (events_listed >= 0),
        healed            BIGINT NOT NULL CHECK (healed >= 0),
        sessions_until_at BIGINT,
        sessions_until_id TEXT,
        events_since      BIGINT,
        error             TEXT
    );
    CREATE INDEX donations_pending_created ON donations (gateway, created_at, id)
        WHERE status = 'pending';
    "#,
    // 9
    r#"
    ALTER TABLE donations ADD COLUMN checkout_url TEXT;
    "#,
    // 10
    r#"
    ALTER TABLE donations ADD COLUMN receipt_no BIGINT;
    ALTER TABLE donations ADD COLUMN receipt_at BIGINT;
    CREATE UNIQUE INDEX donations_receipt_no ON donations (receipt_no) WHERE receipt_no IS NOT NULL;
    CREATE TABLE counters (
        name   TEXT PRIMARY KEY,
        value  BIGINT NOT NULL CHECK (value >= 0)
    );
    INSERT INTO counters (name, value) VALUES ('receipt', 0);
    CREATE TABLE receipt_numbering (unused BIGINT);
    CREATE TABLE outbox (
        seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        donation_id    TEXT NOT NULL,
        kind           TEXT NOT NULL CHECK (kind IN ('receipt', 'refund')),
        ref            TEXT NOT NULL,
        to_addr        TEXT NOT NULL,
        amount_minor   BIGINT NOT NULL CHECK (amount_minor > 0),
        message_key    TEXT NOT NULL UNIQUE,
        status         TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
        attempts       BIGINT NOT NULL DEFAULT 0,
        created_at     BIGINT NOT NULL,
        next_at        BIGINT NOT NULL,
        claimed_until  BIGINT NOT NULL DEFAULT 0,
        sent_at        BIGINT,
        last_error     TEXT,
        UNIQUE (donation_id, kind, ref)
    );
    CREATE INDEX outbox_due ON outbox (next_at) WHERE status = 'queued';
    CREATE INDEX outbox_donation ON outbox (donation_id, seq);
    "#,
    // 11
    r#"
    CREATE TABLE refund_intents (
        donation_id      TEXT NOT NULL,
        n                BIGINT NOT NULL CHECK (n > 0),
        amount_minor     BIGINT NOT NULL CHECK (amount_minor > 0),
        refunded_before  BIGINT NOT NULL CHECK (refunded_before >= 0),
        state            TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
        created_at       BIGINT NOT NULL,
        settled_at       BIGINT,
        PRIMARY KEY (donation_id, n)
    );
    CREATE UNIQUE INDEX refund_intents_one_pending ON refund_intents (donation_id)
        WHERE state = 'pending';
    "#,
    // 12
    r#"
    ALTER TABLE donations ADD COLUMN fund TEXT NOT NULL DEFAULT '';
    "#,
];
