/**
 * Editor code the inference nodes share (built into each node's editor by scripts/build-editor.js).
 * showWhen: shows a row only while a field has one of some values.
 * modelConfig: with a lightexnet-config node chosen, the node's own model rows (class lx-own-settings)
 * hide; without one (every node made before the config node) they show, with a button that opens the
 * new-config dialog filled with them: the editor half of the migration to a shared config.
 */
function showWhen(row, field, values) {
    var toggle = function () { $(row).toggle(values.indexOf($(field).val()) >= 0); };
    $(field).on('change', toggle);
    toggle();
}
function modelConfig(own) {
    var select = $('#node-input-config');
    var toggle = function () {
        var v = select.val();
        $('.lx-own-settings').toggle(!v || v === '_ADD_');
    };
    select.on('change', toggle);
    toggle();
    $('#lx-share-settings').on('click', function () {
        var prefill = {};
        Object.keys(own).forEach(function (k) { prefill[k] = $('#node-input-' + own[k]).val(); });
        // Read once by lightexnet-config's oneditprepare (a new config dialog opened by this click).
        RED.nodes.getType('lightexnet-config').prefill = prefill;
        var add = select.parent().find('a').filter(function () { return $(this).find('.fa-plus').length > 0; });
        if (add.length) add.trigger('click');
        else { select.val('_ADD_'); $('#node-input-lookup-config').trigger('click'); } // Node-RED 4.0: one button
    });
}
