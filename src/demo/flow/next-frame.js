if (Date.now() - (flow.get('externalAt') || 0) < 3000) return null;
const camera = env.get('CAMERA_URL');
if (camera) return [null, { url: camera, topic: 'camera/ip' }];
const frames = global.get('demoFrames') || [];
if (!frames.length) return null;
const i = (context.get('i') || 0) % frames.length;
context.set('i', i + 1);
return [{ filename: frames[i], topic: 'camera/demo' }, null];
