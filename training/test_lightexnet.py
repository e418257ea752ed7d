"""Unit tests of the model definition, the budget counter and the loss (python3 -m unittest)."""
import json
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools"))
from lightexnet import ImprovedCenterLoss, LightExNet, LightExNetConfig, count_macs, count_params  # noqa: E402
from ckplus_cv import ckplus_head  # noqa: E402
from class_balance import balanced_indices, sample_weights, sampled_prior  # noqa: E402
from ckplus_select import select  # noqa: E402
from fer_data import CKPLUS_LABELS  # noqa: E402
from pack_data import decode_images, encode_images  # noqa: E402
from sharpness import perturbed, statistics_frozen  # noqa: E402
from detector_framing import DetectorFraming  # noqa: E402
from train import augment, ckplus_split, epochs_within_budget, js_consistency, load_init, to_input  # noqa: E402
from tta_views import VIEWS, multi_view_probs, view_grids  # noqa: E402


class Budget(unittest.TestCase):
    def test_reference_reconstruction_matches_the_papers_budget(self):
        m = LightExNet()
        params, macs = count_params(m), count_macs(m, (3, 224, 224))
        self.assertAlmostEqual(params / 3.27e6, 1, delta=0.01, msg=f"{params} params")
        self.assertAlmostEqual(macs / 298.27e6, 1, delta=0.01, msg=f"{macs} MACs")

    def test_counter_reports_other_configurations(self):
        small = LightExNet(LightExNetConfig(in_channels=1, head_width=512, attention="none"))
        self.assertLess(count_params(small), 3.0e6)
        self.assertLess(count_macs(small, (1, 64, 64)), count_macs(LightExNet(LightExNetConfig(in_channels=1)), (1, 64, 64)))
        # A plain MobileNetV2-like net without fusion/attention and a 1280 head is torchvision's size.
        mnv2 = LightExNet(LightExNetConfig(attention="none", fusion_taps=(), head_width=1280))
        self.assertAlmostEqual(count_params(mnv2) / 2_232_839, 1, delta=0.01)


class TimeBudget(unittest.TestCase):
    def test_no_plan_before_the_second_epoch(self):
        self.assertEqual(epochs_within_budget(30, 0, 1, 100, 90, 50), 30)

    def test_the_first_plan_keeps_one_epoch_for_the_schedule_to_fall(self):
        self.assertEqual(epochs_within_budget(30, 1, 2, 1000, 200, 100), 9)  # 1 + 1 + 800 // 105
        self.assertEqual(epochs_within_budget(30, 1, 2, 100, 200, 100), 3)  # over budget already

    def test_a_slower_pace_later_cuts_again_and_may_stop_the_run(self):
        self.assertEqual(epochs_within_budget(9, 4, 5, 1000, 600, 200), 6)  # 4 + 1 + 400 // 210
        self.assertEqual(epochs_within_budget(6, 5, 6, 1000, 990, 200), 6)  # stop after this epoch

    def test_a_faster_pace_never_lengthens_the_run(self):
        self.assertEqual(epochs_within_budget(9, 4, 5, 10_000, 600, 10), 9)


class Network(unittest.TestCase):
    def test_fully_convolutional_for_every_input_size(self):
        for size, stride in ((48, 1), (64, 2), (96, 2), (224, 2)):
            m = LightExNet(LightExNetConfig(in_channels=1, stem_stride=stride)).eval()
            with torch.no_grad():
                self.assertEqual(tuple(m(torch.zeros(2, 1, size, size)).shape), (2, 7))

    def test_channel_attention_is_the_sum_of_the_two_descriptors_passes(self):
        torch.manual_seed(0)
        att = LightExNet(LightExNetConfig(in_channels=1)).stages[2][1].conv[2]
        torch.nn.init.normal_(att.fc2.weight)  # it starts at zero; any weights must give the same answer
        x = torch.randn(3, att.fc1.in_channels, 5, 7)
        mlp = lambda d: att.fc2(torch.relu(att.fc1(d)))
        gate = mlp(x.mean((2, 3), keepdim=True)) + mlp(x.amax((2, 3), keepdim=True))
        self.assertTrue(torch.allclose(att(x), x * torch.sigmoid(gate), atol=1e-6))

    def test_onnx_export_is_size_agnostic(self):
        m = LightExNet(LightExNetConfig(in_channels=1)).eval()
        with tempfile.TemporaryDirectory() as d:
            torch.onnx.export(m, torch.zeros(1, 1, 64, 64), os.path.join(d, "m.onnx"), opset_version=13,
                              input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "b", 2: "h", 3: "w"}})
            self.assertGreater(os.path.getsize(os.path.join(d, "m.onnx")), 1_000_000)


class TestTimeViews(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.net = LightExNet(LightExNetConfig(in_channels=1)).eval()
        self.x = torch.randn(3, 1, 48, 48)

    def test_the_first_view_is_trainings_plain_resize(self):
        import torch.nn.functional as F
        with torch.no_grad():
            plain = F.softmax(self.net(F.interpolate(self.x, size=(64, 64), mode="bilinear", align_corners=False)), 1)
            p = multi_view_probs(self.net, self.x, view_grids(VIEWS[:1], 64))
        self.assertLess((p - plain).abs().max().item(), 1e-5)

    def test_two_and_six_views_do_not_care_which_way_round_the_face_is(self):
        with torch.no_grad():
            for n in (2, 6):
                g = view_grids(VIEWS[:n], 64)
                a, b = multi_view_probs(self.net, self.x, g), multi_view_probs(self.net, self.x.flip(3), g)
                self.assertLess((a - b).abs().max().item(), 1e-5, f"{n} views")

    def test_exported_graph_takes_any_number_of_views(self):
        import onnx
        from export_onnx import ExportWrapper
        with tempfile.TemporaryDirectory() as d:
            f = os.path.join(d, "m.onnx")
            torch.onnx.export(ExportWrapper(self.net), (self.x, view_grids(VIEWS[:3], 64)), f, opset_version=16,
                              input_names=["input", "grid"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "grid": {0: "views"}, "logits": {0: "batch"}})
            graph = onnx.load(f).graph
            self.assertIn("GridSample", {n.op_type for n in graph.node})
            dims = [d.dim_param or d.dim_value for d in graph.input[1].type.tensor_type.shape.dim]
            self.assertEqual(dims, ["views", 64, 64, 2])


class WeightAveraging(unittest.TestCase):
    def test_average_is_the_mean_of_the_float_tensors_and_keeps_counters(self):
        from average_checkpoints import average_state
        nets = [LightExNet(LightExNetConfig(in_channels=1, head_width=64)) for _ in range(2)]
        with tempfile.TemporaryDirectory() as d:
            paths = [os.path.join(d, f"epoch-{i:02d}.pt") for i in range(2)]
            for n, p in zip(nets, paths):
                torch.save({"model": n.state_dict()}, p)
            avg = average_state(paths)
        a, b = nets[0].state_dict(), nets[1].state_dict()
        k = "classifier.weight"
        self.assertTrue(torch.allclose(avg[k], (a[k] + b[k]) / 2))
        counters = [k for k, v in a.items() if not v.is_floating_point()]
        self.assertTrue(counters)
        self.assertTrue(all(torch.equal(avg[k], a[k]) for k in counters))

    def test_weighted_average_follows_the_weights(self):
        from average_checkpoints import mean_state
        nets = [LightExNet(LightExNetConfig(in_channels=1, head_width=64)) for _ in range(2)]
        a, b = nets[0].state_dict(), nets[1].state_dict()
        avg = mean_state([a, b], [3.0, 1.0])
        k = "classifier.weight"
        self.assertTrue(torch.allclose(avg[k], 0.75 * a[k] + 0.25 * b[k], atol=1e-6))
        self.assertTrue(torch.allclose(mean_state([a, b], [1.0, 0.0])[k], a[k]))

    def test_batchnorm_is_re_estimated_from_the_given_images(self):
        from average_checkpoints import recalibrate_bn
        net = LightExNet(LightExNetConfig(in_channels=1, head_width=64))
        bn = next(m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d))
        x = np.random.default_rng(0).integers(0, 256, (64, 48, 48), dtype=np.uint8)
        recalibrate_bn(net, x, 64, 1, 0.0, seed=0, batch=32)
        self.assertFalse(net.training)
        self.assertEqual(int(bn.num_batches_tracked), 2)
        self.assertFalse(torch.allclose(bn.running_var, torch.ones_like(bn.running_var)))


    def test_adabn_probe_re_estimates_on_a_copy_from_the_given_images(self):
        from adabn_probe import restat
        net = torch.nn.Sequential(torch.nn.BatchNorm2d(1)).eval()
        x = np.full((40, 48, 48), 200, dtype=np.uint8)
        m = restat(net, x, 64, 1, batch=16)
        expected = to_input(x[:1], 64, 1, "cpu").mean().item()
        self.assertAlmostEqual(m[0].running_mean.item(), expected, places=5)
        self.assertEqual(net[0].running_mean.item(), 0.0)
        self.assertFalse(m.training)


class Loss(unittest.TestCase):
    def test_center_update_touches_only_classes_in_the_batch(self):
        c = ImprovedCenterLoss(7, 16)
        before = c.centers.clone()
        f = torch.randn(4, 16)
        loss = c(f, torch.tensor([1, 1, 3, 3]))
        self.assertGreater(loss.item(), 0)
        changed = (c.centers != before).any(1).tolist()
        self.assertEqual(changed, [False, True, False, True, False, False, False])
        self.assertFalse(c.centers.requires_grad)

    def test_gpu_center_update_equals_the_loop(self):
        loop, batched = ImprovedCenterLoss(7, 16), ImprovedCenterLoss(7, 16)
        batched.load_state_dict(loop.state_dict())
        for _ in range(3):
            f, y = torch.randn(32, 16), torch.randint(0, 5, (32,))
            loop(f, y)  # on the CPU: the per-class loop
            batched._update_batched(torch.nn.functional.normalize(f, dim=1), y)
        self.assertTrue(torch.allclose(loop.centers, batched.centers, atol=1e-6))
        self.assertTrue(torch.equal(loop.centers[5:], batched.centers[5:]))  # absent classes untouched

    def test_augmentation_is_reproducible_from_the_seed(self):
        x = torch.rand(8, 1, 48, 48)
        a = augment(x, 64, torch.Generator().manual_seed(3), 0.5)
        b = augment(x, 64, torch.Generator().manual_seed(3), 0.5)
        self.assertTrue(torch.equal(a, b))
        self.assertEqual(tuple(a.shape), (8, 1, 64, 64))

    def test_detector_framing_crops_as_the_product_does(self):
        # Row 0: a box whose product crop (1.13 x the box, moved 0.066 box sides up) is exactly the FER square.
        # Row 1: a box twice the image's side whose centre lies 0.25 box sides right of the image's centre.
        def table(rows):
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump({"rowFields": ["index", "score", "scale", "dx", "dy"], "rows": rows}, f)
            framing = DetectorFraming(f.name)
            os.unlink(f.name)
            return framing
        exact = [0, 0.9, 1.13, 0.0, -0.066]
        framing = table([exact, [1, 0.9, 0.5, 0.25, 0.0]])
        zoom, tx, ty = framing.draw(torch.tensor([0.1, 0.9]))
        self.assertTrue(torch.allclose(zoom, torch.tensor([1.0, 1 / 2.26]), atol=1e-5))
        # Normalised coordinates (the image spans -1..1): row 1's crop centre is 0.25 box sides = half an
        # image side left of the image centre, and 0.066 box sides up.
        self.assertTrue(torch.allclose(tx, torch.tensor([0.0, -1.0]), atol=1e-5))
        self.assertTrue(torch.allclose(ty, torch.tensor([0.0, -0.264]), atol=1e-5))
        # Framed by row 0 with no rotation, each output is its image (or the mirror image) up to the
        # brightness/contrast jitter: a per-image linear map of the pixels.
        identity = table([exact])
        x = 0.3 + 0.4 * torch.rand(16, 1, 48, 48)
        out = augment(x, 48, torch.Generator().manual_seed(1), 0.0, rotate=0, framing=identity, framing_p=1.0)
        for o, im in zip(out, x):
            corr = max(torch.corrcoef(torch.stack([o.flatten(), v.flatten()]))[0, 1] for v in (im, im.flip(-1)))
            self.assertGreater(float(corr), 0.9999)


class Levelling(unittest.TestCase):
    """train.py --level turns each image by its eye line's angle (face-roll.ts's convention: degrees, y down)."""

    @staticmethod
    def bar(deg: float) -> np.ndarray:
        """A 48x48 image with a bright bar through the centre at `deg` degrees (y down)."""
        yy, xx = np.mgrid[0:48, 0:48] - 23.5
        t = np.deg2rad(deg)
        dist = np.abs(-np.sin(t) * xx + np.cos(t) * yy)
        return np.where((dist < 1.5) & (np.hypot(xx, yy) < 20), 255, 30).astype(np.uint8)

    @staticmethod
    def angle(img: torch.Tensor) -> float:
        """The bright pixels' principal axis, degrees (y down), in -90..90."""
        ys, xs = torch.nonzero(img > img.mean() + (img.max() - img.mean()) / 2, as_tuple=True)
        xs, ys = xs.float() - xs.float().mean(), ys.float() - ys.float().mean()
        return float(torch.rad2deg(0.5 * torch.atan2(2 * (xs * ys).mean(), (xs * xs).mean() - (ys * ys).mean())))

    def test_a_tilted_line_comes_out_level_in_scoring_and_in_training(self):
        for deg in (-30.0, 12.0, 25.0):
            x = self.bar(deg)[None]
            self.assertAlmostEqual(self.angle(torch.from_numpy(x[0]).float()), deg, delta=1.5)
            scored = to_input(x, 64, 1, "cpu", np.array([deg], np.float32))[0, 0]
            self.assertAlmostEqual(self.angle(scored), 0.0, delta=1.5)
            xt = torch.from_numpy(x).float().div(255).unsqueeze(1)
            trained = augment(xt, 64, torch.Generator().manual_seed(5), 0.0, rotate=0, zoom=0,
                              level=torch.tensor([deg]))[0, 0]
            self.assertAlmostEqual(self.angle(trained), 0.0, delta=1.5)
            self.assertAlmostEqual(self.angle(to_input(x, 64, 1, "cpu")[0, 0]), deg, delta=1.5)

    def test_a_zero_angle_scores_the_plain_resize(self):
        x = np.random.default_rng(0).integers(0, 256, (4, 48, 48), dtype=np.uint8)
        self.assertTrue(torch.allclose(to_input(x, 64, 1, "cpu", np.zeros(4, np.float32)), to_input(x, 64, 1, "cpu"),
                                       atol=1e-5))


class WarmStartAndPacking(unittest.TestCase):
    def test_grey_stem_spread_over_rgb_gives_the_same_output(self):
        grey = LightExNet(LightExNetConfig(in_channels=1)).eval()
        rgb = LightExNet(LightExNetConfig(in_channels=3)).eval()
        load_init(rgb, grey.state_dict())
        x = torch.rand(2, 1, 64, 64)
        with torch.no_grad():
            self.assertTrue(torch.allclose(grey(x), rgb(x.expand(-1, 3, -1, -1)), atol=1e-5))

    def test_ckplus_head_from_fer_scores_each_class_as_its_fer_class(self):
        fer = LightExNet(LightExNetConfig(in_channels=1)).eval()
        head = ckplus_head(fer.classifier, "fer")
        x = torch.rand(3, 1, 64, 64)
        with torch.no_grad():
            fer_logits, ck_logits = fer(x), head(fer.features(x))
        # anger=angry 0, contempt=neutral 6, disgust 1, fear 2, happy 3, sadness=sad 4, surprise 5
        self.assertTrue(torch.allclose(ck_logits, fer_logits[:, [0, 6, 1, 2, 3, 4, 5]], atol=1e-6))
        self.assertEqual(ckplus_head(fer.classifier, "random").out_features, len(CKPLUS_LABELS))

    def test_image_packing_is_lossless(self):
        x = torch.randint(0, 256, (5, 48, 48), dtype=torch.uint8).numpy()
        x[0] = 0
        x[1] = 255
        self.assertTrue((decode_images(encode_images(x)) == x).all())


def trained_like_net_and_its_graph(path: str):
    """A small LightExNet with BatchNorm far from the identity (its statistics the data's own) and distinct
    attention weights (they start at zero), exported as the product's graph to `path`."""
    from export_onnx import ExportWrapper
    torch.manual_seed(0)
    cfg = LightExNetConfig(in_channels=1, head_width=64)
    net = LightExNet(cfg)
    batches = [torch.randn(64, 1, 64, 64) for _ in range(4)]
    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d) and m.bias is not None:
            torch.nn.init.normal_(m.weight, 0, 0.1)
            torch.nn.init.normal_(m.bias, 1.0, 0.5)
        if isinstance(m, torch.nn.BatchNorm2d):
            torch.nn.init.uniform_(m.weight, -2, 2)
            torch.nn.init.normal_(m.bias)
            m.momentum = None
    net.train()
    with torch.no_grad():
        for xb in batches:
            net(xb)
    net.eval()
    torch.onnx.export(ExportWrapper(net).eval(), (torch.zeros(2, 1, 48, 48), view_grids(VIEWS[:2], 64)), path,
                      opset_version=16, input_names=["input", "grid"], output_names=["logits"],
                      do_constant_folding=True)
    return net, cfg, batches


class RebuildFromOnnx(unittest.TestCase):
    """onnx_to_checkpoint.py: the shipped graph (BatchNorm folded into the convs) back to a trainable net."""

    def setUp(self):
        try:
            import onnx  # noqa: F401  (Debian's python3-onnx)
        except ImportError:
            self.skipTest("python3-onnx is not installed")

    def test_rebuilt_network_computes_what_the_graph_computes_and_trains_alike(self):
        from onnx_to_checkpoint import rebuild
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.onnx")
            net, cfg, batches = trained_like_net_and_its_graph(path)
            manifest = {"training": {"config": cfg.to_dict()}, "views": {"size": 64}}
            rebuilt = rebuild(path, manifest, lambda: iter(batches))
            unit = rebuild(path, manifest, lambda: iter(batches), unit_norm=True)
        x = torch.randn(8, 1, 64, 64)
        with torch.no_grad():
            self.assertTrue(torch.allclose(rebuilt(x), net(x), atol=1e-4))
            self.assertTrue(torch.allclose(unit(x), net(x), atol=1e-4))
        w = unit.stages[2][0].conv[0][0].weight.flatten(1).norm(dim=1)
        self.assertTrue(torch.allclose(w, torch.ones_like(w), atol=1e-5))
        # Training mode alike too: BatchNorm normalises with batch statistics, then scales and shifts by
        # the original's |weight| and bias (recovered from the data; drift grows with depth in a random net).
        from onnx_to_checkpoint import batchnorm_after
        for model in (rebuilt, unit):
            for bn_o, bn_r in zip(batchnorm_after(net).values(), batchnorm_after(model).values()):
                w_err = ((bn_r.weight - bn_o.weight.abs()).abs() / bn_o.weight.abs()).median()
                self.assertLess(float(w_err), 0.05)
                self.assertLess(float((bn_r.bias - bn_o.bias).abs().median()), 0.05)

    def test_graphs_that_ran_the_attention_mlp_once_per_descriptor_read_as_todays(self):
        import onnx
        from onnx_to_checkpoint import graph_convs
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.onnx")
            trained_like_net_and_its_graph(path)
            model = onnx.load(path)
        today, _ = graph_convs(model)
        # Every conv twice in graph order, as graphs before session 12 called the attention MLP's (once per descriptor).
        nodes = []
        for n in model.graph.node:
            nodes.append(n)
            if n.op_type == "Conv" and len(n.input) > 2 and n.input[2]:
                twin = onnx.NodeProto()
                twin.CopyFrom(n)
                twin.output[0] = n.output[0] + "_max"
                nodes.append(twin)
        del model.graph.node[:]
        model.graph.node.extend(nodes)
        old, _ = graph_convs(model)
        self.assertGreater(len(nodes), len(today) + 2)
        self.assertEqual(len(old), len(today))
        for (w0, b0), (w1, b1) in zip(today, old):
            self.assertTrue(np.array_equal(w0, w1))


class CkplusSoup(unittest.TestCase):
    def test_soup_averages_the_members_and_re_estimates_batchnorm(self):
        from ckplus_cv import soup
        torch.manual_seed(0)
        nets = [LightExNet(LightExNetConfig(in_channels=1, head_width=64)) for _ in range(3)]
        x = np.random.default_rng(0).integers(0, 256, (128, 48, 48), dtype=np.uint8)
        s = soup(nets, x, 64, 1, 0.0, seed=0)
        self.assertFalse(s.training)
        mean = torch.stack([n.classifier.weight for n in nets]).mean(0)
        self.assertTrue(torch.allclose(s.classifier.weight, mean))
        bn = next(m for m in s.modules() if isinstance(m, torch.nn.BatchNorm2d))
        self.assertFalse(torch.allclose(bn.running_var, torch.ones_like(bn.running_var)))  # measured, not averaged
        self.assertTrue(all(n.classifier.weight.data_ptr() != s.classifier.weight.data_ptr() for n in nets))


class CkplusSelection(unittest.TestCase):
    def write(self, root: str, name: str, inner: list[float], outer: list[float]) -> str:
        run = os.path.join(root, name)
        for sub, accs, flag in (("inner", inner, True), ("", outer, False)):
            os.makedirs(os.path.join(run, sub), exist_ok=True)
            r = {"inner": flag, "epochs": 10, "views": 6, "lr": 0.01, "mean_accuracy": sum(accs) / len(accs),
                 "per_fold": {str(k): {"accuracy": a} for k, a in enumerate(accs)}}
            with open(os.path.join(run, sub, "result.json"), "w") as f:
                json.dump(r, f)
        return run

    def test_each_fold_takes_the_recipe_its_inner_fold_prefers_not_its_own_best(self):
        with tempfile.TemporaryDirectory() as d:
            a = self.write(d, "a", inner=[0.9, 0.8], outer=[0.5, 0.9])
            b = self.write(d, "b", inner=[0.9, 0.7], outer=[1.0, 1.0])
            r = select([a, b])
        # fold 0: a tie goes to the first listed, although b scores 1.0 on fold 0; fold 1: a's inner is higher.
        self.assertEqual([r["per_fold"][k]["recipe"] for k in ("0", "1")], [a, a])
        self.assertAlmostEqual(r["nested_mean_accuracy"], 0.7)


class CkplusMerge(unittest.TestCase):
    def part(self, folds: dict, cm: list, **recipe) -> dict:
        return {"inner": False, "epochs": 20, "views": 6, "lr": 0.01, "size": 96, "labels": ["a", "b"],
                "mean_accuracy_by_views": {"1": 0, "6": 0}, "confusion": cm, **recipe,
                "per_fold": {str(k): {"accuracy_views_1": a1, "accuracy_views_6": a6, "accuracy": a6}
                             for k, (a1, a6) in folds.items()}}

    def test_parts_on_disjoint_folds_make_one_run(self):
        from ckplus_merge import merge
        m = merge([self.part({5: (0.5, 1.0)}, [[3, 1], [0, 4]]),
                   self.part({0: (0.5, 0.5), 1: (1.0, 0.9)}, [[2, 0], [1, 1]])])
        self.assertEqual(list(m["per_fold"]), ["0", "1", "5"])
        self.assertAlmostEqual(m["mean_accuracy"], 0.8)
        self.assertEqual(m["mean_accuracy_by_views"], {"1": round(2 / 3, 4), "6": 0.8})
        self.assertEqual(m["confusion"], [[5, 1], [1, 5]])
        self.assertAlmostEqual(m["pooled_accuracy"], round(10 / 12, 4))

    def test_parts_of_different_recipes_or_the_same_fold_are_refused(self):
        from ckplus_merge import merge
        with self.assertRaisesRegex(AssertionError, "size"):
            merge([self.part({0: (1, 1)}, [[1]]), self.part({1: (1, 1)}, [[1]], size=128)])
        with self.assertRaisesRegex(AssertionError, "twice"):
            merge([self.part({0: (1, 1)}, [[1]]), self.part({0: (1, 1)}, [[1]])])


class CkplusInARun(unittest.TestCase):
    x = np.arange(30, dtype=np.uint8).reshape(30, 1, 1)
    y = np.arange(30) % 6
    fold = np.arange(30) % 10

    def test_except_k_trains_on_the_other_folds_and_scores_fold_k(self):
        (xt, yt), (xs, ys), scope = ckplus_split("except:3", self.x, self.y, self.fold)
        self.assertEqual(scope, "fold 3")
        self.assertEqual(sorted(xs.ravel().tolist()), [3, 13, 23])
        self.assertEqual(ys.tolist(), (np.array([3, 13, 23]) % 6).tolist())
        self.assertEqual(len(xt), 27)
        self.assertFalse(set(xt.ravel().tolist()) & {3, 13, 23}, "a held-out image in training")

    def test_none_scores_all_and_all_trains_on_all(self):
        (xt, _), (xs, _), scope = ckplus_split("none", self.x, self.y, self.fold)
        self.assertEqual((len(xt), len(xs), scope), (0, 30, "all"))
        (xt, _), (xs, _), scope = ckplus_split("all", self.x, self.y, self.fold)
        self.assertEqual((len(xt), len(xs), scope), (30, 0, None))

    def test_a_fold_that_does_not_exist_is_refused(self):
        for spec in ("except:10", "except:", "except:x", "some"):
            with self.assertRaises(ValueError):
                ckplus_split(spec, self.x, self.y, self.fold)


class TargetsAndCameraAugmentation(unittest.TestCase):
    def test_soft_targets_keep_the_fer_label_first_and_sum_to_one(self):
        from targets import soft_targets
        labels = np.array([0, 4, 6])
        plus = np.array([[0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0.3, 0, 0.7], [np.nan] * 7], dtype=np.float32)
        teacher = np.full((3, 7), 1 / 7, dtype=np.float32)
        t = soft_targets(labels, plus, teacher, 0.3, 0.2)
        np.testing.assert_allclose(t.sum(1), 1, atol=1e-6)
        self.assertEqual(t.argmax(1).tolist(), [0, 4, 6])  # FER2013's label keeps at least half
        self.assertAlmostEqual(float(t[0, 6]), 0.3 + 0.2 / 7, places=5)  # FER+ says neutral: 0.3 of it
        self.assertAlmostEqual(float(t[2, 6]), 0.8 + 0.2 / 7, places=5)  # no FER+ row: its share to the label

    def test_ferplus_columns_map_to_fer_order(self):
        from targets import FERPLUS_TO_FER
        # FER2013 order angry, disgust, fear, happy, sad, surprise, neutral -> FER+ vote columns
        self.assertEqual(FERPLUS_TO_FER, [4, 5, 6, 1, 3, 2, 0])

    def test_camera_degradation_is_seeded_and_keeps_shape_and_range(self):
        import camera_aug
        x = torch.rand(16, 1, 48, 48)
        a = camera_aug.degrade(x, torch.Generator().manual_seed(3), 1.0)
        b = camera_aug.degrade(x, torch.Generator().manual_seed(3), 1.0)
        self.assertEqual(a.shape, x.shape)
        self.assertTrue(torch.equal(a, b))
        self.assertGreaterEqual(float(a.min()), 0.0)
        self.assertLessEqual(float(a.max()), 1.0)
        self.assertGreater(float((a - x).abs().mean()), 0.01)  # p = 1: every image changed
        same = camera_aug.degrade(x, torch.Generator().manual_seed(3), 0.0)
        # p = 0 leaves resolution, JPEG and noise alone: only gamma moves pixels
        self.assertLess(float((same - x.clamp(1e-4, 1).pow(1.0)).abs().max()), 0.5)



class ConsistencyLoss(unittest.TestCase):
    def test_zero_for_agreeing_views_and_bounded_by_log2_when_they_disagree(self):
        same = torch.randn(4, 7)
        self.assertAlmostEqual(float(js_consistency(torch.cat([same, same]))), 0.0, places=6)
        a = torch.full((4, 7), -30.0)
        b = a.clone()
        a[:, 0], b[:, 1] = 30.0, 30.0  # each view sure of another class
        jsd = float(js_consistency(torch.cat([a, b])))
        self.assertAlmostEqual(jsd, float(torch.log(torch.tensor(2.0))), places=4)

    def test_gradient_pulls_the_views_together(self):
        logits = torch.randn(6, 7).requires_grad_()
        before = float(js_consistency(logits))
        js_consistency(logits).backward()
        with torch.no_grad():
            after = float(js_consistency(logits - 0.5 * logits.grad))
        self.assertLess(after, before)


class PartsAndLabels(unittest.TestCase):
    def test_part_occlusion_hides_one_full_width_band_of_flat_grey(self):
        from train import occlude_parts
        x = torch.rand(64, 1, 64, 64)
        out = occlude_parts(x, torch.Generator().manual_seed(5), 1.0)
        for img in out[:, 0]:
            flat = (img == img[:, :1]).all(1)  # rows of one value across the width: the band
            rows = flat.nonzero().flatten()
            self.assertGreater(len(rows), 10)
            self.assertEqual(int(rows[-1] - rows[0]) + 1, len(rows))  # one band, no gaps
            top = int(rows[0])
            self.assertTrue(11 <= top <= 20 or 35 <= top <= 43, top)  # over the eyes or over the mouth
        self.assertTrue(torch.equal(occlude_parts(x, torch.Generator().manual_seed(5), 0.0), x))

    def test_relabel_takes_ferplus_majority_only_for_the_named_classes_and_strong_votes(self):
        from train import relabel_from_ferplus
        y = np.array([4, 4, 4, 0, 4])  # sad, sad, sad, angry, sad
        plus = np.array([
            [0, 0, 0, 0, 0.2, 0, 0.8],      # FER+: neutral, strongly -> relabelled
            [0, 0, 0, 0, 0.5, 0, 0.5],      # split: stays sad
            [0, 0, 0, 0, 0.3, 0, 0.7],      # neutral at 0.7 -> relabelled
            [0, 0, 0, 0, 0, 0, 1.0],        # angry is not a named class: stays
            [np.nan] * 7,                   # no FER+ votes: stays
        ], dtype=np.float32)
        self.assertEqual(relabel_from_ferplus(y, plus, ["sad"], 0.6).tolist(), [6, 4, 6, 0, 4])
        self.assertEqual(y.tolist(), [4, 4, 4, 0, 4])  # the input is not changed


class RafdbReader(unittest.TestCase):
    """fer_data.load_rafdb on a RAF-DB basic layout made here (the dataset itself is not on these machines)."""

    def make(self, root, rows):
        from PIL import Image
        os.makedirs(os.path.join(root, "EmoLabel"))
        os.makedirs(os.path.join(root, "Image", "aligned"))
        with open(os.path.join(root, "EmoLabel", "list_patition_label.txt"), "w") as f:
            for name, code, value in rows:
                f.write(f"{name} {code}\n")
                img = np.full((100, 100, 3), value, np.uint8)
                img[:50, :, 0] = 255  # a red top half: greyscale must weigh the channels, not take one
                Image.fromarray(img).save(os.path.join(root, "Image", "aligned", name[:-4] + "_aligned.jpg"),
                                          quality=95)

    def test_reads_the_split_maps_labels_to_fer2013_and_makes_48px_grey(self):
        from fer_data import FER_LABELS, load_rafdb
        with tempfile.TemporaryDirectory() as root:
            # 1 surprise, 5 sad, 6 angry, 7 neutral; one test image that training must not see
            self.make(root, [("train_00001.jpg", 1, 40), ("train_00002.jpg", 5, 120), ("test_0001.jpg", 4, 200),
                             ("train_00003.jpg", 6, 160), ("train_00004.jpg", 7, 220)])
            x, y = load_rafdb(root, "train")
            self.assertEqual(x.shape, (4, 48, 48))
            self.assertEqual(x.dtype.name, "uint8")
            self.assertEqual([FER_LABELS[i] for i in y], ["surprise", "sad", "angry", "neutral"])
            # bottom half grey as written (JPEG within a few levels); top half (255, 40, 40) by ITU-R 601 luma: 104
            self.assertTrue(abs(int(x[1, 40, 24]) - 120) <= 3, int(x[1, 40, 24]))
            self.assertTrue(abs(int(x[0, 5, 24]) - 104) <= 4, int(x[0, 5, 24]))
            xt, yt = load_rafdb(root, "test")
            self.assertEqual((len(xt), FER_LABELS[yt[0]]), (1, "happy"))

    def test_says_what_is_wrong_with_a_folder_that_is_not_rafdb(self):
        from fer_data import load_rafdb
        with tempfile.TemporaryDirectory() as root:
            with self.assertRaisesRegex(FileNotFoundError, "RAF-DB's basic folder"):
                load_rafdb(root)
            self.make(root, [("train_00001.jpg", 9, 40)])
            with self.assertRaisesRegex(ValueError, "label 1..7"):
                load_rafdb(root)


class DomainAugmentation(unittest.TestCase):
    def test_mixstyle_changes_only_each_channels_mean_and_spread(self):
        from domain_aug import MixStyle
        x = torch.randn(16, 24, 8, 8) * (0.5 + torch.rand(16, 24, 1, 1) * 3) + torch.randn(16, 24, 1, 1)
        mixed = MixStyle(1.0, torch.Generator().manual_seed(3)).mix(x)
        self.assertEqual(mixed.shape, x.shape)
        self.assertFalse(torch.allclose(mixed, x))
        norm = lambda t: (t - t.mean((2, 3), keepdim=True)) / (t.var((2, 3), keepdim=True) + 1e-6).sqrt()
        self.assertTrue(torch.allclose(norm(mixed), norm(x), atol=1e-3))
        # A mixed mean lies between the image's own and its partner's, so within the batch's range.
        mu, mu0 = mixed.mean((2, 3)), x.mean((2, 3))
        self.assertTrue(bool((mu >= mu0.min(0).values - 1e-4).all() and (mu <= mu0.max(0).values + 1e-4).all()))
        self.assertTrue(torch.equal(MixStyle(0.0, torch.Generator().manual_seed(3)).mix(x), x))

    def test_mixstyle_acts_in_training_only_and_comes_off(self):
        from domain_aug import MixStyle
        torch.manual_seed(0)
        m = LightExNet(LightExNetConfig(in_channels=1))
        x = torch.rand(8, 1, 64, 64)
        m.train()
        plain_train = m.features(x)
        m.eval()
        plain_eval = m.features(x)
        ms = MixStyle(1.0, torch.Generator().manual_seed(3)).attach(m.stages[:3])
        self.assertTrue(torch.equal(m.features(x), plain_eval))
        m.train()
        self.assertFalse(torch.allclose(m.features(x), plain_train))
        ms.detach()
        self.assertTrue(torch.allclose(m.features(x), plain_train))

    def test_beta_draws_follow_the_generator_and_the_distribution(self):
        from domain_aug import beta_sample
        a = beta_sample(0.1, 0.1, 20000, torch.Generator().manual_seed(4))
        self.assertTrue(bool(((a >= 0) & (a <= 1)).all()))
        self.assertAlmostEqual(float(a.mean()), 0.5, delta=0.02)
        # Beta(0.1, 0.1) is U-shaped: most mass near 0 and 1 (P(0.1 < x < 0.9) = 0.187, torch's own sampler).
        self.assertAlmostEqual(float(((a > 0.1) & (a < 0.9)).float().mean()), 0.187, delta=0.01)
        self.assertTrue(torch.equal(beta_sample(0.1, 0.1, 50, torch.Generator().manual_seed(9)),
                                    beta_sample(0.1, 0.1, 50, torch.Generator().manual_seed(9))))

    def test_random_convolution_keeps_range_and_brightness_and_is_seeded(self):
        from domain_aug import random_convolution
        x = torch.rand(32, 1, 64, 64)
        out = random_convolution(x, torch.Generator().manual_seed(2), 1.0)
        self.assertEqual(out.shape, x.shape)
        self.assertTrue(bool(((out >= 0) & (out <= 1)).all()))
        self.assertFalse(torch.equal(out, x))
        self.assertTrue(torch.allclose(out.mean((1, 2, 3)), x.mean((1, 2, 3)), atol=0.05))
        self.assertTrue(torch.equal(out, random_convolution(x, torch.Generator().manual_seed(2), 1.0)))
        self.assertTrue(torch.equal(random_convolution(x, torch.Generator().manual_seed(2), 0.0), x))


if __name__ == "__main__":
    unittest.main()


class SharpnessAware(unittest.TestCase):
    def _net(self):
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
                                   torch.nn.Linear(4 * 6 * 6, 3))

    def test_perturbation_moves_the_weights_rho_up_the_gradient_and_back(self):
        net, x = self._net(), torch.randn(5, 1, 8, 8)
        net(x).pow(2).sum().backward()
        params = list(net.parameters())
        before = [p.detach().clone() for p in params]
        grad = torch.cat([p.grad.flatten() for p in params])
        with perturbed(params, 0.05):
            step = torch.cat([(p.detach() - b).flatten() for p, b in zip(params, before)])
            self.assertAlmostEqual(float(step.norm()), 0.05, places=5)
            self.assertGreater(float(torch.dot(step, grad)), 0)  # uphill
        for p, b in zip(params, before):
            self.assertTrue(torch.allclose(p.detach(), b, atol=1e-7))

    def test_second_pass_leaves_batchnorm_statistics_and_centers_alone(self):
        net, x = self._net().train(), torch.randn(5, 1, 8, 8)
        center = ImprovedCenterLoss(3, 3).train()
        bn = net[1]
        stats, centers = (bn.running_mean.clone(), bn.running_var.clone()), center.centers.clone()
        with statistics_frozen(net, center):
            center(net(x), torch.tensor([0, 1, 2, 0, 1]))
            self.assertFalse(center.training)
        self.assertTrue(torch.equal(bn.running_mean, stats[0]) and torch.equal(bn.running_var, stats[1]))
        self.assertTrue(torch.equal(center.centers, centers))
        self.assertTrue(center.training and bn.momentum == 0.1)
        net(x)  # and outside the block they learn again
        self.assertFalse(torch.equal(bn.running_mean, stats[0]))


class ClassBalance(unittest.TestCase):
    def test_square_root_sampling_draws_classes_in_proportion_to_the_root_of_their_counts(self):
        y = np.array([0] * 900 + [1] * 100 + [2] * 0 + [3] * 400, dtype=np.int64)
        idx = balanced_indices(sample_weights(y, 0.5, 4), 200_000, torch.Generator().manual_seed(0))
        shares = np.bincount(y[idx.numpy()], minlength=4) / 200_000
        expected = np.array([30, 10, 0, 20]) / 60
        np.testing.assert_allclose(shares, expected, atol=0.005)

    def test_sampled_prior_is_the_prior_at_q_0_and_uniform_at_q_1(self):
        prior = torch.tensor([0.6, 0.1, 0.3])
        self.assertTrue(torch.allclose(sampled_prior(prior, 0), prior))
        self.assertTrue(torch.allclose(sampled_prior(prior, 1), torch.full((3,), 1 / 3)))
        half = sampled_prior(prior, 0.5)
        self.assertTrue(torch.allclose(half, prior.sqrt() / prior.sqrt().sum()))
