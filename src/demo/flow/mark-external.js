flow.set('externalAt', Date.now());
return msg;
