msg.detectMs = msg.inferenceMs;
return msg;
