const e = msg.payload;
// Three columns: they fit a phone's width (five were cut at 390 px).
const what = e.expression + ' ' + Math.round(e.confidence * 100) + '%' + (e.event === 'cleared' ? ' · cleared' : '');
const row = { time: new Date(e.timestamp).toLocaleTimeString(), alert: what, camera: String(e.topic).replace(/^camera\//, '') };
// Newest first, the last 10: the table is replaced with the whole list each time.
const rows = [row, ...(context.get('rows') || [])].slice(0, 10);
context.set('rows', rows);
return { payload: rows };
