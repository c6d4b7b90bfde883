-- The demo tenant: one organization with one website served from this machine, so the demo
-- page (http://localhost:8788, also http://127.0.0.1:8788) is a registered site. Idempotent.
INSERT OR IGNORE INTO organizations (id, name, slug, monthly_budget_cents, created_at)
VALUES ('0193a000-0000-7000-8000-000000000001', 'Demo Company', 'demo', 1000, 0);

INSERT OR IGNORE INTO domains (id, organization_id, hostname, site_key, name, active, config, system_prompt, llm, created_at, updated_at)
VALUES (
    '0193a000-0000-7000-8000-000000000002', '0193a000-0000-7000-8000-000000000001',
    'localhost', 'site_demo_localhost', 'Demo site', 1,
    '{"title":"Demo Company","greeting":"Hi! Ask me anything about Demo Company.","starters":["What do you sell?","How do I contact support?"],"theme":{"primary":"#0f766e","on_primary":"#ffffff"},"position":"bottom-right","language":"en","leads":"on-demand"}',
    'You are the assistant of Demo Company, a small shop for garden tools. Be brief and friendly.',
    '{}', 0, 0
);

INSERT OR IGNORE INTO domain_aliases (hostname, domain_id, organization_id, created_at)
VALUES ('127.0.0.1', '0193a000-0000-7000-8000-000000000002', '0193a000-0000-7000-8000-000000000001', 0);
