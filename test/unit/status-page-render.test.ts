/**
 * renderStatusPage on its own: a collector that has judged nothing yet, and text from outside
 * (a vendor's own status description, config links) that must stay text.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.ts';
import { renderStatusPage, type StatusPageView } from '../../agent/collector/statusPage.ts';
import { vendorHistories } from '../../agent/collector/statusHistory.ts';

const config = parseConfig(
  `vendors:
  - { name: acme, runbook: "javascript:alert(1)", status_page: "https://status.acme.example" }
checks:
  - { name: acme-js, vendor: acme, kind: http, url: "https://acme.example/app.js" }
`,
  't.yaml',
  {},
);
const vendor = config.vendors[0]!;

function view(over: Partial<StatusPageView> = {}): StatusPageView {
  return {
    now: Date.parse('2025-11-20T02:00:00Z'),
    readyAt: Date.parse('2025-11-20T02:00:30Z'),
    refreshSeconds: 15,
    vendors: [
      {
        vendor,
        checks: config.checks,
        status: undefined,
        votes: {},
        openIncident: undefined,
        says: undefined,
        rum: undefined,
        links: { runbook_url: vendor.runbook! },
        history: undefined,
      },
    ],
    probes: [],
    incidents: [],
    rum: { since: 0 },
    ...over,
  };
}

describe('renderStatusPage', () => {
  it('says a collector that is warming up has no verdict yet, and no probe has reported', () => {
    const page = renderStatusPage(view());
    // With JavaScript off the page reloads itself; with it on, the script updates it in place.
    expect(page).toContain('<noscript><meta http-equiv="refresh" content="15"></noscript>');
    expect(page).toContain('<body data-refresh="15">');
    // Not "all operational" in the tab's title before anything was judged.
    expect(page).toContain('<title>1 of 1 vendors unknown · vendorwatch</title>');
    expect(page).toContain(
      '<strong>warming up</strong>: the collector judges each vendor once every probe has run and pushed its checks (their longest interval), every vendor by 2025-11-20 02:00:30 UTC',
    );
    expect(page).toContain('<p class="since">no verdict yet</p>');
    expect(page).toContain('<td colspan="3" class="none">no probe has reported it yet</td>');
    expect(page).toContain('<h2>Regions</h2><p>No probe has reported yet.</p>');
    expect(page).toContain('<p class="no-incident">No open incident.</p>');
  });

  it('agrees with its probe table while warming up: a reporting probe makes its region appear and its votes show', () => {
    const now = Date.parse('2025-11-20T02:00:00Z');
    const probe = { region: 'local', lastSeen: now - 9000, health: 'up' as const, since: now - 9000, disagrees: { vendors: [], checks: [] } };
    const vote = { probe: 'vm', region: 'local', ok: true, degraded: false, reason: 'ok' as const, message: 'ok', phases: { total: 0.042 }, at: now - 9000 };
    const v = view({ probes: [['vm', probe]] });
    const page = renderStatusPage({ ...v, vendors: [{ ...v.vendors[0]!, votes: { 'acme-js': [vote] } }] });
    expect(page).not.toContain('No probe has reported yet');
    expect(page).not.toContain('no probe runs it yet');
    expect(page).toContain('<th scope="col">local</th>');
    expect(page).toContain('<td class="none">not judged yet</td>');
    expect(page).toMatch(/<td class="region">local<\/td><td class="verdict"><span class="badge v-unknown">not judged yet<\/span> 1 voting<\/td>/);
    expect(page).toContain('<b>vm ✓</b> 42 ms · 9s ago');
  });

  it('keeps what a vendor says and non-web links as text', () => {
    const says = {
      link: 'https://status.acme.example/',
      said: { indicator: 'critical' as const, description: '<img src=x onerror=alert(1)>Major outage', at: Date.parse('2025-11-20T01:59:00Z') },
    };
    const v = view();
    const page = renderStatusPage({ ...v, vendors: [{ ...v.vendors[0]!, says }] });
    expect(page).toContain('<span class="says-critical">&lt;img src=x onerror=alert(1)&gt;Major outage</span> (critical incident, 60s ago)');
    expect(page).toContain('runbook: javascript:alert(1)');
    expect(page).not.toContain('href="javascript:');
    expect(page).toContain('<a href="https://status.acme.example/">vendor&#39;s status page</a>');
    // Our own script in the head is the only one.
    expect(page.match(/<script/gi)).toHaveLength(1);
    expect(page.indexOf('<script>')).toBeLessThan(page.indexOf('</head>'));
  });

  it('puts incidents above the vendors, and the SLA target beside what was measured this month', () => {
    const v = view();
    const now = v.now;
    const incident = {
      id: 'inc-1',
      vendor: 'acme',
      start: now - 5 * 60_000,
      end: null,
      worst: 'regional_outage' as const,
      states: ['regional_outage' as const],
      regions: ['eu'],
      flapped: false,
      summary: 'acme has a REGIONAL OUTAGE in eu.',
      evidence: [],
      raised: {},
    };
    const month = vendorHistories(config, [], [], now).get('acme')!;
    const slaVendor = { ...vendor, sla: { availability: 99.95 } };
    const history = { ...month, month: { ...month.month, availability: { ...month.month.availability, percent: 99.99149 } } };
    const page = renderStatusPage({ ...v, incidents: [incident], vendors: [{ ...v.vendors[0]!, vendor: slaVendor, history }] });
    expect(page.indexOf('id="incidents"')).toBeLessThan(page.indexOf('id="vendors"'));
    expect(page).toContain('in eu</h3>');
    expect(page).toContain('open since <time');
    expect(page).toContain('5m so far');
    // Never rounded up: 99.99149 is 99.991, not 99.992.
    expect(page).toContain('<dt>SLA</dt><dd class="sla">99.95% target, 99.991% measured this month</dd>');
    expect(page).toContain('<figure class="strip">');
    expect(page).toContain('no latency to draw');
  });

  it('shows what real users get: a vendor failing real users alone, its impact per region, and its incident\u2019s page views', () => {
    const v = view();
    const since = v.now - 60_000;
    const realUsers = { window: 300_000, budget: 3000, regions: [{ region: 'eu', pageViews: 4210, affected: 1305, share: 0.31, p75: 0.24 }] };
    const status = {
      state: 'users_impacted' as const,
      since,
      conditions: [{ state: 'users_impacted' as const, regions: ['eu'], since }],
      regions: { eu: [{ state: 'users_impacted' as const, regions: ['eu'] }] },
      evidence: [],
      lastKnown: { state: 'users_impacted' as const, regions: ['eu'], since, evidence: [] },
      flapping: null,
      realUsers,
    };
    const incident = {
      id: 'inc-2',
      vendor: 'acme',
      start: since,
      end: null,
      worst: 'users_impacted' as const,
      states: ['users_impacted' as const],
      regions: ['eu'],
      flapped: false,
      summary: 'acme is FAILING REAL USERS in eu.',
      evidence: [],
      raised: { ticket: since },
      realUsers: { pageViews: 4210, affected: 1305, peakShare: 0.31, peakRegion: 'eu', firstSeenBy: 'real_users' as const },
    };
    const page = renderStatusPage({ ...v, incidents: [incident], vendors: [{ ...v.vendors[0]!, status, openIncident: incident }] });
    expect(page).toContain('<span class="badge s-users_impacted">users impacted</span>');
    expect(page).toContain('acme is FAILING REAL USERS in eu: 31% of 4,210 page views in eu had an acme resource fail or take over 3s in the last 5m.');
    expect(page).toContain(
      '<dt>Impact</dt><dd class="impact">Page views with a failed or over-3s acme resource in the last 5m: eu 31% of 4,210 (p75 240 ms)</dd>',
    );
    expect(page).toContain('Real users: 1,305 of 4,210 page views affected; at worst 31% in eu; real users saw it first.');
  });
});
