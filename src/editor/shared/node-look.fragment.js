category: 'LightExNet',
color: '#87A980',
labelStyle: function () { return this.name ? 'node_label_italic' : ''; },
