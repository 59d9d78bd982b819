/** The dashboard's CSS: system fonts, readable tables, one column on a phone. */
export const DASHBOARD_STYLE = `
:root { --fg:#1d2330; --muted:#667085; --line:#e4e7ec; --bg:#f7f8fa; --accent:#3b5bdb; --ok:#2b8a3e; --warn:#e67700; --bad:#c92a2a; }
* { box-sizing: border-box; }
[hidden] { display:none !important; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; flex-wrap:wrap; gap:.5rem 1.25rem; align-items:center; padding:.75rem 1rem; background:#fff; border-bottom:1px solid var(--line); }
header nav { display:flex; flex-wrap:wrap; gap:.25rem 1rem; align-items:center; }
header a { color:var(--fg); text-decoration:none; } header a.active { color:var(--accent); font-weight:600; }
.brand { font-size:1.1rem; } .mode { margin-left:auto; color:var(--muted); font-size:.85rem; }
main { padding:1rem; max-width:1100px; margin:0 auto; }
h1 { font-size:1.3rem; margin:.25rem 0 1rem; } h2 { font-size:1.05rem; margin:1.5rem 0 .5rem; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:1rem; }
.narrow { max-width:360px; margin:3rem auto; display:grid; gap:.75rem; }
label { display:grid; gap:.25rem; font-size:.85rem; color:var(--muted); }
input, select, button { font:inherit; padding:.45rem .6rem; border:1px solid var(--line); border-radius:6px; background:#fff; color:var(--fg); }
button { background:var(--accent); color:#fff; border-color:var(--accent); cursor:pointer; }
button.link { background:none; border:none; color:var(--muted); padding:0; }
button:disabled { opacity:.5; cursor:default; }
.filters { display:flex; flex-wrap:wrap; gap:.5rem; align-items:end; margin-bottom:.75rem; }
.table { overflow-x:auto; background:#fff; border:1px solid var(--line); border-radius:8px; }
table { width:100%; border-collapse:collapse; } th, td { text-align:left; padding:.5rem .65rem; border-bottom:1px solid var(--line); white-space:nowrap; }
th { font-size:.78rem; text-transform:uppercase; letter-spacing:.03em; color:var(--muted); }
tr[data-href] { cursor:pointer; } tr[data-href]:hover { background:#f1f3f9; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.mono { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:.85em; }
.badge { display:inline-block; padding:.05rem .5rem; border-radius:999px; font-size:.8rem; background:#eef; }
.s-active,.s-paid,.s-succeeded,.s-sent { background:#e6f4ea; color:var(--ok); } .s-past_due,.s-open,.s-incomplete,.s-pending { background:#fff4e6; color:var(--warn); }
.s-canceled,.s-unpaid,.s-failed,.s-incomplete_expired,.s-uncollectible,.s-void { background:#fdecec; color:var(--bad); } .s-trialing { background:#e7f0ff; color:var(--accent); }
.pager { display:flex; gap:.5rem; justify-content:flex-end; margin-top:.6rem; }
.grid { display:grid; grid-template-columns:repeat(auto-fill,minmax(190px,1fr)); gap:.5rem 1rem; }
.grid div span { display:block; font-size:.78rem; color:var(--muted); }
.lines td { color:var(--muted); font-size:.88rem; padding-left:1.5rem; }
.live { font-size:.85rem; color:var(--muted); } .live.on { color:var(--ok); }
.error { color:var(--bad); min-height:1em; } .empty { color:var(--muted); padding:1rem; }
.bars { display:grid; gap:.4rem; } .bar { display:grid; grid-template-columns:9rem 1fr 7rem; gap:.5rem; align-items:center; }
.bar i { display:block; height:1.1rem; background:var(--accent); border-radius:4px; min-width:2px; }
.bar b { font-weight:normal; text-align:right; font-variant-numeric:tabular-nums; }
pre { white-space:pre-wrap; font-size:.85rem; }
@media (max-width:640px) { main { padding:.6rem; } .bar { grid-template-columns:6.5rem 1fr 5.5rem; } .mode { display:none; } }
`;
