#include "daemon/ops/dashboard.h"

namespace gatekeeper {

// A first page: the decision counters by purpose, verdict and reason, the
// audit head, the event log's lag, disclosure violations and readiness,
// refreshed every 5 s from /metrics and /readyz.
std::string_view DashboardHtml() {
  static constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Consent Gatekeeper</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:70em}
h1{font-size:1.3em;margin:0 0 .2em} h2{font-size:1.05em;margin:1.2em 0 .4em}
table{border-collapse:collapse;min-width:30em} td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#0a6b2d;font-weight:600} .bad{color:#b00020;font-weight:600} .muted{color:#777}
</style></head><body>
<h1>Consent Gatekeeper</h1>
<div>health: <span id="ready" class="muted">…</span> · audit head seq <span id="head">…</span>
 · event log lag <span id="lag">…</span> · disclosure violations <span id="violations">…</span>
 · <span class="muted">updated <span id="updated">never</span></span></div>
<h2>Decisions by purpose and verdict</h2>
<table id="verdicts"><thead><tr><th>purpose</th><th>verdict</th><th>decisions</th></tr></thead><tbody></tbody></table>
<h2>Block reasons</h2>
<table id="reasons"><thead><tr><th>purpose</th><th>reason</th><th>decisions</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
function parse(text){const out=[];for(const line of text.split("\n")){
 if(!line||line[0]==="#")continue;const m=line.match(/^([a-z_]+)(?:\{(.*)\})? (\S+)$/);if(!m)continue;
 const labels={};if(m[2]){for(const p of m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))labels[p[1]]=p[2];}
 out.push({name:m[1],labels,value:Number(m[3])});}return out;}
function fill(id,rows){const body=document.querySelector("#"+id+" tbody");body.replaceChildren();
 for(const r of rows){const tr=document.createElement("tr");r.forEach((v,i)=>{const td=document.createElement("td");
 td.textContent=v;if(i===r.length-1)td.className="n";tr.appendChild(td);});body.appendChild(tr);}}
async function refresh(){
 try{const samples=parse(await (await fetch("/metrics",{cache:"no-store"})).text());
  const verdicts={},reasons={};
  for(const s of samples){if(s.name!=="gatekeeper_decisions_total")continue;
   const v=s.labels.purpose+"|"+s.labels.verdict;verdicts[v]=(verdicts[v]||0)+s.value;
   if(s.labels.verdict==="BLOCK"){const k=s.labels.purpose+"|"+s.labels.reason;reasons[k]=(reasons[k]||0)+s.value;}}
  fill("verdicts",Object.entries(verdicts).sort().map(([k,n])=>[...k.split("|"),n]));
  fill("reasons",Object.entries(reasons).sort((a,b)=>b[1]-a[1]).map(([k,n])=>[...k.split("|"),n]));
  const one=n=>{const s=samples.find(x=>x.name===n);return s?s.value:0;};
  document.getElementById("head").textContent=one("gatekeeper_audit_head_seq");
  document.getElementById("lag").textContent=one("gatekeeper_event_log_lag_entries");
  const v=one("gatekeeper_disclosure_violations_total"),ve=document.getElementById("violations");
  ve.textContent=v;ve.className=v>0?"bad":"";
  const r=await fetch("/readyz",{cache:"no-store"}),re=document.getElementById("ready");
  re.textContent=r.ok?"ready":(await r.text()).trim();re.className=r.ok?"ok":"bad";
  document.getElementById("updated").textContent=new Date().toLocaleTimeString();
 }catch(e){const re=document.getElementById("ready");re.textContent="unreachable";re.className="bad";}
}
refresh();setInterval(refresh,5000);
</script></body></html>
)html";
  return kPage;
}

}  // namespace gatekeeper
