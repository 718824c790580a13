/**
 * The status page, GET /: one page an on-call engineer opens to see what is wrong, where and
 * since when. Server-rendered HTML, CSS and inline SVG pictures; one small inline script (allowed
 * by its hash) swaps in a fresh copy of the page every refresh interval, and with JavaScript off
 * a <noscript> meta refresh reloads it instead. It reads on a phone (tables scroll sideways
 * inside their own boxes). Everything shown comes from the collector's memory, caches and its own
 * files, so rendering never waits on a probe or a vendor.
 *
 * Top to bottom: a one-line summary; open and recent incidents with duration, regions and
 * evidence; each vendor's state, since when and why (the same words as its alert), with what the
 * vendor itself says, what real users got, its SLA target beside what was measured this month,
 * its last 24 hours of states and its delivery latency per hour (statusCharts.ts); a vendor ×
 * region grid; each check's verdict per region with every probe's latest vote (a lone failing
 * probe stands out); probe health.
 *
 * Every value is escaped by the `html` template tag (html.ts).
 */
import { createHash } from 'node:crypto';
import type { Check, Config, Vendor } from '../../config/schema.ts';
import type { Routes } from '../server.ts';
import { duration, utc } from '../timeText.ts';
import { realUsersSummary, vendorLinks, vendorSummary, votesText, whereItFailed } from './alerts/alert.ts';
import type { Collector, ProbeRecord } from './collector.ts';
import { Html, html } from './html.ts';
import { historyStrip, latencyChart, STATE_LABELS } from './statusCharts.ts';
import type { StatusHistory, VendorHistory } from './statusHistory.ts';
import type { Vote } from './consensus.ts';
import type { Incident } from './incidents.ts';
import type { RecentRum, RumSummary, RumVendorSummary } from './rum/summary.ts';
import { isProblem, stateOf, vendorStates, type Evidence, type VendorState, type VendorStatus } from './state.ts';
import type { VendorSays, VendorStatusPoller } from './vendorStatus.ts';

// --- what the page shows ---

export interface VendorView {
  vendor: Vendor;
  checks: Check[];
  status: VendorStatus | undefined;
  /** By check name, each probe's latest vote inside the window: shown while the vendor has no verdict yet. */
  votes: Record<string, Vote[]>;
  openIncident: Incident | undefined;
  says: VendorSays | undefined;
  rum: RumVendorSummary | undefined;
  links: Record<string, string>;
  /** The last 24 hours and this month; undefined where the page has no journal to read. */
  history: VendorHistory | undefined;
}

export interface StatusPageView {
  now: number;
  readyAt: number;
  refreshSeconds: number;
  vendors: VendorView[];
  probes: [string, ProbeRecord][];
  incidents: Incident[];
  /** Since when the RUM figures count. */
  rum: Pick<RumSummary, 'since'>;
}

/** Closed incidents stay on the page this long, at most RECENT_INCIDENTS of them. */
const RECENT_MS = 7 * 86_400_000;
const RECENT_INCIDENTS = 20;

const LABELS = STATE_LABELS;

const SAYS: Record<NonNullable<VendorSays['said']>['indicator'], string> = {
  none: 'no incident',
  minor: 'minor incident',
  major: 'major incident',
  critical: 'critical incident',
};

const severity = (s: VendorState) => vendorStates.indexOf(s);
const ago = (at: number, now: number) => (now - at < 1000 ? 'just now' : `${duration(now - at)} ago`);
const when = (at: number, now: number) => html`<time datetime="${new Date(at).toISOString()}" title="${utc(at)}">${utc(at)}</time> (${ago(at, now)})`;
const badge = (state: VendorState) => html`<span class="badge s-${state}">${LABELS[state]}</span>`;

/** The status page for one moment. Pure: everything comes from the view. */
export function renderStatusPage(view: StatusPageView): string {
  const vendors = [...view.vendors].sort(
    (a, b) => severity(a.status?.state ?? 'unknown') - severity(b.status?.state ?? 'unknown') || a.vendor.name.localeCompare(b.vendor.name),
  );
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<noscript><meta http-equiv="refresh" content="${view.refreshSeconds}"></noscript>
<title>${titleOf(vendors)}</title>
<style>${new Html(CSS)}</style>
<script>${new Html(LIVE_UPDATE)}</script>
</head>
<body data-refresh="${view.refreshSeconds}">
<header>
<h1>vendorwatch</h1>
<p class="summary">${summaryLine(vendors, view)}</p>
<p class="meta">As of ${utc(view.now)} · updates every ${view.refreshSeconds}s${view.now < view.readyAt ? html` · <strong>warming up</strong>: the collector judges each vendor once every probe has run and pushed its checks (their longest interval), every vendor by ${utc(view.readyAt)}` : ''}</p>
<nav><a href="#vendors">Vendors</a> <a href="#grid">Regions</a> <a href="#checks">Checks</a> <a href="#probes">Probes</a></nav>
</header>
<main>
${incidentsSection(view)}
<section id="vendors" aria-label="Vendors">
${vendors.map((v) => vendorCard(v, view))}
</section>
${regionGrid(vendors, view.probes)}
${checksSection(vendors, view.now)}
${probesSection(view)}
</main>
<footer><p>JSON: <a href="/v1/vendors">/v1/vendors</a> · <a href="/v1/incidents">/v1/incidents</a> · <a href="/v1/probes">/v1/probes</a> · <a href="/metrics">/metrics</a></p></footer>
</body>
</html>
`;
  return page.text;
}

/** What a browser tab shows: trouble first; "all operational" only when every vendor is. */
function titleOf(vendors: VendorView[]): string {
  const problems = vendors.filter((v) => v.status && isProblem(v.status.state)).length;
  const unknown = vendors.filter((v) => (v.status?.state ?? 'unknown') === 'unknown').length;
  if (problems) return `${problems} vendor${problems > 1 ? 's' : ''} in trouble · vendorwatch`;
  if (unknown) return `${unknown} of ${vendors.length} vendors unknown · vendorwatch`;
  return 'All vendors operational · vendorwatch';
}

function summaryLine(vendors: VendorView[], view: StatusPageView): Html {
  const problems = vendors.filter((v) => v.status && isProblem(v.status.state));
  const unknown = vendors.filter((v) => (v.status?.state ?? 'unknown') === 'unknown').length;
  const down = view.probes.filter(([, p]) => p.health === 'down').length;
  const unhealthy = view.probes.filter(([, p]) => p.health === 'unhealthy').length;
  const what = problems.length
    ? html`<strong>${problems.length} of ${vendors.length} vendors in trouble:</strong> ${problems.map(
        (v, i) => html`${i ? ', ' : ''}<a href="#vendor-${v.vendor.name}">${v.vendor.name}</a> ${LABELS[v.status!.state]}${regionsText(v.status!)}`,
      )}.`
    : html`<strong>No vendor in trouble</strong> (${vendors.length - unknown} of ${vendors.length} operational).`;
  const probes = `${view.probes.length} probe${view.probes.length === 1 ? '' : 's'}: ${view.probes.length - down - unhealthy} up, ${down} down, ${unhealthy} unhealthy.`;
  return html`${what} ${unknown ? `${unknown} unknown (too few probes voting). ` : ''}${probes}`;
}

function regionsText(status: VendorStatus): string {
  const regions = stateOf(status.conditions).regions;
  return regions.length ? ` in ${regions.join(', ')}` : '';
}

// --- vendors ---

function vendorCard(v: VendorView, view: StatusPageView): Html {
  const { vendor, status } = v;
  const state = status?.state ?? 'unknown';
  return html`<article class="vendor s-${state}" id="vendor-${vendor.name}">
<h2>${vendor.name} ${badge(state)} <small>${vendor.kind}</small></h2>
${status ? html`<p class="since">${LABELS[state]}${regionsText(status)} since ${when(status.since, view.now)}</p>` : html`<p class="since">no verdict yet</p>`}
${why(v)}
${status?.flapping ? html`<p class="flapping">Flapping since ${when(status.flapping.since, view.now)}: one VendorFlapping alert stands for it.</p>` : ''}
${status && status.conditions.length > 1 ? html`<ul class="conditions">${status.conditions.map((c) => html`<li>${badge(c.state)}${c.regions.length ? ` in ${c.regions.join(', ')}` : ''} since ${when(c.since, view.now)}</li>`)}</ul>` : ''}
<dl class="facts">
${v.says ? html`<dt>Vendor says</dt><dd>${vendorSays(v.says, view.now)}</dd>` : ''}
${v.rum ? html`<dt>Real users</dt><dd>${rumLine(v.rum, view.rum.since, view.now)}</dd>` : ''}
${status?.realUsers ? html`<dt>Impact</dt><dd class="impact">${impactLine(v.vendor.name, status.realUsers)}</dd>` : ''}
${slaFact(v)}
${supportFacts(vendor)}
</dl>
${v.history ? html`${historyStrip(v.history.states)}${latencyChart(v.history.latency, vendor.sla?.latency_p95_ms)}` : ''}
${linksLine(v)}
</article>`;
}

/** Down to a thousandth of a percent, never rounded up to a "100%" that hides downtime. */
const percentText = (p: number) => `${Math.floor(p * 1000) / 1000}%`;

/** "SLA: 99.95% target, 99.991% measured this month" (measured as `vendorwatch report` does). */
function slaFact(v: VendorView): Html {
  const { sla } = v.vendor;
  const month = v.history?.month;
  const measured = month?.availability.percent;
  const availability = html`${sla ? `${sla.availability}% target, ` : 'no target, '}${measured === undefined ? 'not measured yet this month' : `${percentText(measured)} measured this month`}`;
  const p95 = month?.latency.p95Ms;
  const latency =
    sla?.latency_p95_ms === undefined
      ? ''
      : `; p95 ≤ ${sla.latency_p95_ms} ms target, ${p95 === undefined ? 'not measured yet' : `${Math.round(p95)} ms measured`}`;
  if (!sla && measured === undefined) return html``;
  return html`<dt>SLA</dt><dd class="sla">${availability}${latency}</dd>`;
}

/** Why the vendor is in its state: the alert's own summary for a problem, a plain reason otherwise. */
function why(v: VendorView): Html {
  const { status } = v;
  if (!status) return html``;
  if (isProblem(status.lastKnown.state)) {
    const summary = vendorSummary(v.vendor, status, v.openIncident);
    const lead = status.state === 'unknown' ? 'No consensus right now; the last probes that decided said: ' : '';
    return html`<p class="why">${lead}${summary}</p>`;
  }
  if (status.state === 'unknown') return html`<p class="why">Too few probes vote on its checks for a verdict (see Checks below).</p>`;
  return html``;
}

function vendorSays(says: VendorSays, now: number): Html {
  const said = says.said
    ? html`<span class="says-${says.said.indicator}">${says.said.description}</span> (${SAYS[says.said.indicator]}, ${ago(says.said.at, now)})`
    : '';
  if (says.unreachable) {
    return html`<span class="unreachable">unreachable</span>: ${says.unreachable.reason} (${ago(says.unreachable.at, now)})${said ? html`; last said ${said}` : ''}`;
  }
  return said ? html`${said}` : html`not asked yet`;
}

function rumLine(r: RumVendorSummary, since: number, now: number): Html {
  const pct = (n: number) => `${((100 * n) / r.resources).toFixed(1)}%`;
  return html`${r.resources} resources in the last ${duration(now - since)}: ${pct(r.failures)} failed, ${pct(r.cacheHits)} from the browser cache${
    r.p75 !== undefined ? `, p75 load ${Math.round(r.p75 * 1000)} ms` : ''
  }`;
}

/** "Page views with a failed or over-3s edgeco resource in the last 5m: eu-west 31% of 4,210 (p75 240 ms); us-east 1% of 812 (p75 90 ms)" */
function impactLine(vendor: string, r: NonNullable<VendorStatus['realUsers']>): Html {
  const regions = r.regions.map(
    (i) =>
      `${i.region} ${Math.round(i.share * 100)}% of ${i.pageViews.toLocaleString('en-US')}${i.p75 === null ? '' : ` (p75 ${Math.round(i.p75 * 1000)} ms)`}`,
  );
  return html`Page views with a failed or over-${duration(r.budget)} ${vendor} resource in the last ${duration(r.window)}: ${regions.join('; ')}`;
}

/** Only web links become links: a config value such as "javascript:…" stays text. */
const link = (href: string | undefined, text: string) => href && (/^https?:\/\//i.test(href) ? html`<a href="${href}">${text}</a>` : html`${text}: ${href}`);

/** How to work with the vendor (its registry entry): support desk, contacts, escalation, contract. */
function supportFacts(vendor: Vendor): Html {
  return html`${vendor.support_url ? html`<dt>Support</dt><dd>${link(vendor.support_url, vendor.support_url)}</dd>` : ''}
${vendor.contacts?.length ? html`<dt>Contacts</dt><dd>${vendor.contacts.map((c, i) => html`${i ? '; ' : ''}${c.name}: ${c.channel}`)}</dd>` : ''}
${vendor.escalation?.length ? html`<dt>Escalation</dt><dd><ol class="escalation">${vendor.escalation.map((step) => html`<li>${step}</li>`)}</ol></dd>` : ''}
${vendor.contract ? html`<dt>Contract</dt><dd>${vendor.contract}</dd>` : ''}`;
}

function linksLine(v: VendorView): Html {
  const links = [
    link(v.links.runbook_url, 'runbook'),
    link(v.links.dashboard_url, 'dashboard'),
    link(v.says?.link, "vendor's status page"),
    html`<a href="#checks-${v.vendor.name}">checks</a>`,
  ].filter(Boolean);
  return html`<p class="links">${links.map((l, i) => html`${i ? ' · ' : ''}${l}`)}</p>`;
}

// --- vendor × region grid ---

/** Regions judged, and those of probes that have reported: a region shows up as soon as a probe reports from it. */
function regionGrid(vendors: VendorView[], probes: StatusPageView['probes']): Html {
  const regions = [...new Set([...vendors.flatMap((v) => Object.keys(v.status?.regions ?? {})), ...probes.map(([, p]) => p.region)])].sort();
  if (!regions.length) return html`<section id="grid"><h2>Regions</h2><p>No probe has reported yet.</p></section>`;
  return html`<section id="grid"><h2>Vendors by region</h2>
<div class="scroll"><table class="grid">
<thead><tr><th scope="col">vendor</th>${regions.map((r) => html`<th scope="col">${r}</th>`)}</tr></thead>
<tbody>${vendors.map(
    (v) =>
      html`<tr><th scope="row"><a href="#vendor-${v.vendor.name}">${v.vendor.name}</a></th>${regions.map((r) => {
        if (!v.status) return html`<td class="none">not judged yet</td>`;
        const conditions = v.status.regions[r];
        if (!conditions) return html`<td class="none">–</td>`;
        // A region judged alone is either down or not: "hard down" there just means "down".
        const state = stateOf(conditions).state;
        return html`<td class="s-${state}">${state === 'hard_down' || state === 'regional_outage' ? 'down' : LABELS[state]}</td>`;
      })}</tr>`,
  )}</tbody>
</table></div></section>`;
}

// --- checks and every probe's vote ---

function checksSection(vendors: VendorView[], now: number): Html {
  return html`<section id="checks"><h2>Checks and probe votes</h2>
<p class="hint">Each probe's latest result inside the consensus window; ✗ failed, ✓ passed, ◔ slow. A region fails only on a quorum of probes.</p>
${vendors.map(
  (v) =>
    html`<h3 id="checks-${v.vendor.name}">${v.vendor.name}</h3>${
      v.checks.length
        ? html`<div class="scroll"><table class="checks">
<thead><tr><th scope="col">check</th><th scope="col">region</th><th scope="col">verdict</th><th scope="col">probe votes</th></tr></thead>
<tbody>${v.checks.map((c) =>
            v.status
              ? checkRows(
                  c,
                  v.status.evidence.filter((e) => e.check === c.name),
                  now,
                )
              : unjudgedRows(c, v.votes[c.name] ?? [], now),
          )}</tbody>
</table></div>`
        : html`<p>No checks.</p>`
    }`,
)}
</section>`;
}

function checkRows(check: Check, evidence: Evidence[], now: number): Html {
  const name = html`<th scope="row" rowspan="${Math.max(1, evidence.length)}">${check.name}<br><small>${check.kind} · ${check.role}</small></th>`;
  if (!evidence.length) return html`<tr>${name}<td colspan="3" class="none">no probe runs it yet</td></tr>`;
  return html`${evidence.map(
    (e, i) =>
      html`<tr>${i === 0 ? name : ''}<td class="region">${e.region}</td><td class="verdict">${verdictCell(e)}</td><td><ul class="votes">${e.votes.map((vote) => voteItem(vote, now))}${
        e.voters > e.votes.length ? html`<li class="vote">… ${e.voters - e.votes.length} more</li>` : ''
      }${e.excluded.map((p) => html`<li class="vote excluded">${p} ignored (unhealthy)</li>`)}</ul></td></tr>`,
  )}`;
}

/** A check of a vendor not judged yet (warming up): the votes gathered so far, by region. */
function unjudgedRows(check: Check, votes: readonly Vote[], now: number): Html {
  const regions = [...new Set(votes.map((v) => v.region))].sort();
  const name = html`<th scope="row" rowspan="${Math.max(1, regions.length)}">${check.name}<br><small>${check.kind} · ${check.role}</small></th>`;
  if (!regions.length) return html`<tr>${name}<td colspan="3" class="none">no probe has reported it yet</td></tr>`;
  return html`${regions.map((region, i) => {
    const here = votes.filter((v) => v.region === region);
    return html`<tr>${i === 0 ? name : ''}<td class="region">${region}</td><td class="verdict"><span class="badge v-unknown">not judged yet</span> ${here.length} voting</td><td><ul class="votes">${here.map((vote) => voteItem(vote, now))}</ul></td></tr>`;
  })}`;
}

function verdictCell(e: Evidence): Html {
  const counts = `${e.failing} of ${e.voters} fail${e.slowVotes ? `, ${e.slowVotes} slow` : ''}`;
  if (e.outage === 'failing') return html`<span class="badge v-failing">failing</span> ${counts}`;
  if (e.slow === 'failing') return html`<span class="badge v-slow">slow</span> ${counts}`;
  if (e.outage === 'unknown') return html`<span class="badge v-unknown">unknown</span> ${e.voters} voting`;
  return html`<span class="badge v-passing">passing</span> ${counts}`;
}

function voteItem(v: Vote, now: number): Html {
  const total = v.phases.total !== undefined ? ` ${Math.round(v.phases.total * 1000)} ms` : '';
  if (!v.ok) {
    return html`<li class="vote bad"><b>${v.probe} ✗</b> ${whereItFailed(v)} · ${ago(v.at, now)}<br><small>${v.message}</small></li>`;
  }
  if (v.degraded) return html`<li class="vote slow"><b>${v.probe} ◔</b>${total} · ${ago(v.at, now)}<br><small>${v.message}</small></li>`;
  return html`<li class="vote ok"><b>${v.probe} ✓</b>${total} · ${ago(v.at, now)}</li>`;
}

// --- incidents ---

function incidentsSection(view: StatusPageView): Html {
  const open = view.incidents.filter((i) => i.end === null);
  const closed = view.incidents.filter((i) => i.end !== null && i.end >= view.now - RECENT_MS).slice(0, Math.max(0, RECENT_INCIDENTS - open.length));
  return html`<section id="incidents"><h2>Incidents</h2>
${open.length ? open.map((i) => incidentItem(i, view.now)) : html`<p class="no-incident">No open incident.</p>`}
${closed.length ? html`<h3>Recent (last ${RECENT_MS / 86_400_000} days)</h3>${closed.map((i) => incidentItem(i, view.now))}` : ''}
</section>`;
}

function incidentItem(i: Incident, now: number): Html {
  const span =
    i.end === null
      ? html`open since ${when(i.start, now)}, ${duration(now - i.start)} so far`
      : html`${utc(i.start)} → ${utc(i.end)} (${duration(i.end - i.start)})`;
  const rows = i.evidence.filter((e) => e.outage === 'failing' || e.slow === 'failing');
  const evidence = rows.length ? html`<pre>${votesText(rows)}</pre>` : '';
  // An open incident shows why; a closed one folds it away, so the open ones stay near the top.
  const body =
    i.end === null
      ? html`<p>${i.summary}</p>${evidence && html`<details open><summary>Evidence: the votes at its worst</summary>${evidence}</details>`}`
      : html`<details><summary>What happened${evidence && ', and the votes at its worst'}</summary><p>${i.summary}</p>${evidence}</details>`;
  return html`<article class="incident${i.end === null ? ' open' : ''}" id="incident-${i.id}">
<h3><a href="#vendor-${i.vendor}">${i.vendor}</a> ${badge(i.worst)}${i.regions.length ? ` in ${i.regions.join(', ')}` : ''}</h3>
<p class="since">${span}${i.states.length > 1 ? ` · went through ${i.states.map((s) => LABELS[s]).join(', ')}` : ''}${i.flapped ? ' · flapped' : ''}</p>
${i.realUsers ? html`<p class="impact">Real users: ${realUsersSummary(i.realUsers)}.</p>` : ''}
${body}
${postmortem(i)}
<p class="links"><a href="/v1/incidents/${i.id}/evidence?format=md">evidence pack</a></p>
</article>`;
}

/** What people added for the postmortem (vendorwatch incident note): owner, vendor ticket, root cause, notes, follow-ups. */
function postmortem(i: Incident): Html {
  const p = i.postmortem;
  if (!p) return html``;
  const facts = [
    p.owner ? html`<dt>Owner</dt><dd>${p.owner}</dd>` : '',
    p.ticket ? html`<dt>Vendor ticket</dt><dd>${p.ticket}</dd>` : '',
    p.rootCause ? html`<dt>Root cause</dt><dd>${p.rootCause}</dd>` : '',
  ];
  return html`<div class="postmortem"><dl class="facts">${facts}</dl>
${p.notes.length ? html`<ul class="notes">${p.notes.map((n) => html`<li>${utc(n.at)}${n.author ? ` (${n.author})` : ''}: ${n.text}</li>`)}</ul>` : ''}
${p.followUps.length ? html`<p>Follow-ups:</p><ul class="follow-ups">${p.followUps.map((f) => html`<li>${f.text}</li>`)}</ul>` : ''}</div>`;
}

// --- probes ---

function probesSection(view: StatusPageView): Html {
  if (!view.probes.length) return html`<section id="probes"><h2>Probes</h2><p>No probe has reported yet.</p></section>`;
  return html`<section id="probes"><h2>Probes</h2>
<div class="scroll"><table>
<thead><tr><th scope="col">probe</th><th scope="col">region</th><th scope="col">health</th><th scope="col">last result</th><th scope="col">clock</th><th scope="col">note</th></tr></thead>
<tbody>${view.probes.map(
    ([id, p]) =>
      html`<tr class="p-${p.health}"><th scope="row">${id}</th><td>${p.region}</td><td><span class="badge h-${p.health}">${
        p.health === 'up' ? 'up' : p.health === 'down' ? 'probe_down' : 'probe_unhealthy'
      }</span> since ${when(p.since, view.now)}</td><td>${ago(p.lastSeen, view.now)}</td>${clockCell(p)}<td>${
        p.health === 'unhealthy'
          ? `alone fails checks of ${p.disagrees.vendors.join(', ')} (${p.disagrees.checks.join(', ')}); its votes are ignored`
          : p.health === 'down'
            ? 'sends no results; its votes have expired'
            : p.disagrees.checks.length
              ? `alone fails ${p.disagrees.checks.join(', ')}`
              : ''
      }</td></tr>`,
  )}</tbody>
</table></div></section>`;
}

/** How far the probe's clock is off (clockSkew.ts); flagged past collector.max_clock_skew. */
function clockCell(p: ProbeRecord): Html {
  const ms = p.clock?.skewMs;
  if (ms === undefined) return html`<td class="none">measuring</td>`;
  const off = Math.abs(ms) < 500 ? 'in sync' : `${(Math.abs(ms) / 1000).toFixed(1)} s ${ms > 0 ? 'behind' : 'ahead'}`;
  return p.clock?.overSince === undefined ? html`<td>${off}</td>` : html`<td><span class="badge h-unhealthy">clock off</span> ${off}</td>`;
}

// --- the route ---

interface StatusPageSources {
  config: Config;
  history: StatusHistory;
  collector: Collector;
  vendorStatus: VendorStatusPoller;
  rum: RecentRum;
}

export function statusPageRoutes({ config, history, collector, vendorStatus, rum }: StatusPageSources): Routes {
  return {
    'GET /': async (_req, res) => {
      const now = Date.now();
      const recent = await rum.summary();
      const incidents = collector.incidents();
      const histories = history.at(now);
      const view: StatusPageView = {
        now,
        readyAt: collector.readyAt,
        refreshSeconds: Math.max(1, Math.round(config.collector.status_page.refresh / 1000)),
        vendors: collector.vendorStatuses().map(({ vendor, status }) => ({
          vendor,
          checks: config.checks.filter((c) => c.vendor === vendor.name),
          status,
          votes: Object.fromEntries(config.checks.filter((c) => c.vendor === vendor.name).map((c) => [c.name, collector.latestVotes(c.name, now)])),
          openIncident: incidents.find((i) => i.vendor === vendor.name && i.end === null),
          says: vendorStatus.get(vendor.name),
          rum: recent.vendors.get(vendor.name),
          links: vendorLinks(vendor, config.alerts.dashboard_url),
          history: histories.get(vendor.name),
        })),
        probes: collector.probes(),
        incidents,
        rum: recent,
      };
      const body = renderStatusPage(view);
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // One script, ours, by its hash; it may fetch this page and nothing else. Styles inline only.
        'content-security-policy': `default-src 'none'; script-src '${LIVE_UPDATE_HASH}'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        'referrer-policy': 'no-referrer',
      });
      res.end(body);
    },
  };
}

/**
 * Live update without a reload: fetch this page every refresh interval and swap in its header and
 * <main> (scroll position and the URL fragment stay). A failed fetch keeps what is shown, marks
 * the "As of" line as not updated, and tries again next time. With JavaScript off, <noscript>'s meta refresh
 * reloads the page instead.
 */
const LIVE_UPDATE = `addEventListener('DOMContentLoaded',()=>{const every=1000*Number(document.body.dataset.refresh||15);
const stale=()=>document.querySelector('.meta')?.classList.add('stale');
const update=async()=>{try{const r=await fetch(location.pathname,{cache:'no-store'});if(!r.ok)return stale();
const next=new DOMParser().parseFromString(await r.text(),'text/html');
for(const s of ['header','main']){const n=next.querySelector(s);if(n)document.querySelector(s)?.replaceWith(document.adoptNode(n));}
document.title=next.title;}catch{stale();}finally{setTimeout(update,every);}};setTimeout(update,every);});`;
const LIVE_UPDATE_HASH = `sha256-${createHash('sha256').update(LIVE_UPDATE).digest('base64')}`;

const CSS = `
.strip,.latency{margin:.4rem 0}
.strip svg{display:block;width:100%;height:1.4rem}
.strip figcaption,.latency figcaption{display:flex;justify-content:space-between;gap:.5rem;font-size:.8rem;color:var(--muted)}
.latency svg{display:block;width:100%;max-width:30rem;height:auto}
.latency figcaption{display:block}
svg .s-hard_down{fill:var(--hard)}svg .s-regional_outage{fill:var(--regional)}svg .s-degraded,svg .s-users_impacted{fill:var(--degraded)}
svg .s-api_down{fill:var(--api)}svg .s-limited_visibility{fill:var(--vis)}svg .s-operational{fill:var(--ok)}
svg .s-unknown{fill:var(--unknown)}svg .nodata{fill:var(--line)}
svg .axis{stroke:var(--muted);stroke-width:1}svg .label{fill:var(--muted);font-size:12px}
svg .p50,svg .p95{fill:none;stroke-width:2}svg .p50{stroke:var(--vis)}svg .p95{stroke:var(--regional)}
svg circle.p50{fill:var(--vis)}svg circle.p95{fill:var(--regional)}svg .tip{fill:transparent}
svg .sla{stroke:var(--hard);stroke-dasharray:4 3}
.key::before{content:"";display:inline-block;width:.9rem;height:.2rem;margin-right:.25rem;vertical-align:middle;background:var(--vis)}
.key.p95::before{background:var(--regional)}.key.sla::before{background:var(--hard)}
.chart-empty{font-size:.85rem;color:var(--muted)}
.meta.stale::after{content:" · not updated: the collector did not answer, retrying";color:var(--hard);font-weight:600}
:root{--fg:#1b1f24;--muted:#5b636e;--bg:#fff;--card:#f6f8fa;--line:#d0d7de;
--hard:#b3261e;--regional:#d9480f;--degraded:#b7791f;--api:#6f42c1;--vis:#1f6feb;--ok:#1a7f37;--unknown:#6e7781}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--bg:#0d1117;--card:#161b22;--line:#30363d}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:72rem;margin:0 auto;padding:0 1rem}
h1{font-size:1.3rem;margin:1rem 0 .25rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
h3{font-size:1rem;margin:1rem 0 .4rem}
a{color:var(--vis)}
small,.meta,.hint,.since{color:var(--muted)}
.summary{font-size:1.05rem;margin:.25rem 0}
nav a{margin-right:.8rem}
.vendor{background:var(--card);border:1px solid var(--line);border-left:.4rem solid var(--unknown);border-radius:.4rem;padding:.6rem .9rem;margin:.6rem 0}
.vendor h2{margin:.1rem 0 .3rem;font-size:1.1rem}
.vendor p{margin:.25rem 0}
.vendor.s-hard_down{border-left-color:var(--hard)}.vendor.s-regional_outage{border-left-color:var(--regional)}
.vendor.s-degraded,.vendor.s-users_impacted{border-left-color:var(--degraded)}.vendor.s-api_down{border-left-color:var(--api)}
.vendor.s-limited_visibility{border-left-color:var(--vis)}.vendor.s-operational{border-left-color:var(--ok)}
.why{font-weight:500}
.flapping{color:var(--regional)}
.conditions{margin:.2rem 0;padding-left:1.2rem}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.3rem 0}
.facts dt{color:var(--muted)}.facts dd{margin:0}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.85rem;font-weight:600;color:#fff;background:var(--unknown);white-space:nowrap}
.badge.s-hard_down,.v-failing{background:var(--hard)}.badge.s-regional_outage{background:var(--regional)}
.badge.s-degraded,.badge.s-users_impacted,.v-slow{background:var(--degraded)}.badge.s-api_down{background:var(--api)}
.badge.s-limited_visibility{background:var(--vis)}.badge.s-operational,.v-passing,.h-up{background:var(--ok)}
.h-down{background:var(--hard)}.h-unhealthy{background:var(--degraded)}
.says-minor,.says-major,.says-critical,.unreachable{font-weight:600}
.says-major,.says-critical{color:var(--hard)}.says-minor{color:var(--degraded)}.unreachable{color:var(--muted)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
thead th{background:var(--card)}
.grid td{font-weight:600;white-space:nowrap}
.grid td.s-hard_down{background:var(--hard);color:#fff}.grid td.s-regional_outage{background:var(--regional);color:#fff}
.grid td.s-degraded,.grid td.s-users_impacted{background:var(--degraded);color:#fff}.grid td.s-api_down{background:var(--api);color:#fff}
.grid td.s-limited_visibility{background:var(--vis);color:#fff}.grid td.s-operational{color:var(--ok)}
.grid td.s-unknown,td.none{color:var(--muted)}
.votes{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.3rem}
.vote{border:1px solid var(--line);border-radius:.3rem;padding:.1rem .4rem;max-width:28rem;overflow-wrap:anywhere}
.vote.bad{border-color:var(--hard);background:color-mix(in srgb,var(--hard) 10%,transparent)}
.vote.slow{border-color:var(--degraded)}.vote.ok b{color:var(--ok)}.vote.bad b{color:var(--hard)}
.vote.excluded{border-style:dashed;color:var(--muted)}
.incident{border-top:1px solid var(--line);padding:.3rem 0}.incident h3,.incident p{margin:.2rem 0}
.incident.open h3::before{content:"OPEN ";color:var(--hard)}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85rem;background:var(--card);padding:.5rem;border-radius:.3rem}
footer{margin:2rem auto 1rem;color:var(--muted);font-size:.9rem}
@media (max-width:40rem){body{font-size:15px}.facts{grid-template-columns:1fr}.facts dt{margin-top:.3rem}
.checks thead{display:none}.checks,.checks tbody,.checks tr,.checks th,.checks td{display:block;border:none}
.checks{border:1px solid var(--line)}.checks tr{border-top:1px solid var(--line);padding:.2rem 0}
.checks td.region,.checks td.verdict{display:inline-block;padding-bottom:0}.checks td.region{font-weight:600}}
`;
