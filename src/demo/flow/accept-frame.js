const reply = { res: msg.res, statusCode: 202, payload: { accepted: true, bytes: Buffer.isBuffer(msg.payload) ? msg.payload.length : 0 } };
if (!Buffer.isBuffer(msg.payload) || msg.payload.length === 0) {
  return [{ res: msg.res, statusCode: 400, payload: { error: 'expected an image body' } }, null];
}
return [reply, { payload: msg.payload, topic: 'camera/posted' }];
