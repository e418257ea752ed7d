"""Unit tests of the model definition, the budget counter and the loss (python3 -m unittest)."""
import os
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lightexnet import ImprovedCenterLoss, LightExNet, LightExNetConfig, count_macs, count_params  # noqa: E402
from train import augment  # noqa: E402


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


class Network(unittest.TestCase):
    def test_fully_convolutional_for_every_input_size(self):
        for size, stride in ((48, 1), (64, 2), (96, 2), (224, 2)):
            m = LightExNet(LightExNetConfig(in_channels=1, stem_stride=stride)).eval()
            with torch.no_grad():
                self.assertEqual(tuple(m(torch.zeros(2, 1, size, size)).shape), (2, 7))

    def test_onnx_export_is_size_agnostic(self):
        m = LightExNet(LightExNetConfig(in_channels=1)).eval()
        with tempfile.TemporaryDirectory() as d:
            torch.onnx.export(m, torch.zeros(1, 1, 64, 64), os.path.join(d, "m.onnx"), opset_version=13,
                              input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "b", 2: "h", 3: "w"}})
            self.assertGreater(os.path.getsize(os.path.join(d, "m.onnx")), 1_000_000)


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

    def test_augmentation_is_reproducible_from_the_seed(self):
        x = torch.rand(8, 1, 48, 48)
        a = augment(x, 64, torch.Generator().manual_seed(3), 0.5)
        b = augment(x, 64, torch.Generator().manual_seed(3), 0.5)
        self.assertTrue(torch.equal(a, b))
        self.assertEqual(tuple(a.shape), (8, 1, 64, 64))


if __name__ == "__main__":
    unittest.main()
