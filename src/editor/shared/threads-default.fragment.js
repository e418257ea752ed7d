threads: { value: 1, required: true, validate: function (v) { var n = Number(v); return Number.isInteger(n) && n >= 1 && n <= 64; } }
