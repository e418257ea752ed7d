;; The detector's letterbox in WebAssembly (128-bit SIMD where it pays): the same arithmetic as
;; resample.ts's JavaScript, operation for operation, so both give the same bytes and floats.
;; A 640x480 frame is 921,600 bytes that the box shrink must read; JavaScript reads them one at a
;; time (~1 ms), SIMD sixteen at a time. Built into dist/ by scripts/build-kernels.js (wabt).
;;
;; Memory is laid out by resample-wasm.ts for each call: frame, row sums, shrunk frame, tables, tensor.
(module
  (memory (export "memory") 1)

  ;; Sums `rows` rows of `bytes` bytes each (`stride` apart, from `src`) into one u16 per byte at `acc`.
  ;; Whole 16-byte chunks: the last may read up to 15 bytes past a row (the caller leaves slack after
  ;; the frame); the sums of those bytes land past the row's and are never read. rows <= 257 (u16).
  (func $sumRows (param $src i32) (param $stride i32) (param $rows i32) (param $bytes i32) (param $acc i32)
    (local $c i32) (local $r i32) (local $p i32) (local $q i32) (local $v v128) (local $lo v128) (local $hi v128)
    (block $done
      (loop $chunk
        (br_if $done (i32.ge_u (local.get $c) (local.get $bytes)))
        (local.set $lo (v128.const i32x4 0 0 0 0))
        (local.set $hi (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $src) (local.get $c)))
        (local.set $r (local.get $rows))
        (loop $row
          (local.set $v (v128.load align=1 (local.get $p)))
          (local.set $lo (i16x8.add (local.get $lo) (i16x8.extend_low_i8x16_u (local.get $v))))
          (local.set $hi (i16x8.add (local.get $hi) (i16x8.extend_high_i8x16_u (local.get $v))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (local.set $r (i32.sub (local.get $r) (i32.const 1)))
          (br_if $row (local.get $r)))
        (local.set $q (i32.add (local.get $acc) (i32.shl (local.get $c) (i32.const 1))))
        (v128.store align=1 (local.get $q) (local.get $lo))
        (v128.store offset=16 align=1 (local.get $q) (local.get $hi))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $chunk))))

  ;; One row of f x f blocks from the u16 row sums of `rows` rows: each block's RGB mean, rounded half
  ;; up ((sum + n/2) / n), into `dst`. The first `full` blocks (f <= 16, so sums fit 16 bits): f loads of
  ;; a pixel's eight lanes added (lanes 0-2 are the block's R, G, B sums), divided exactly by multiplying
  ;; with `mf` = ceil(2^32 / n), n = rows * f (Lemire et al. 2019: exact for sums and n below 2^16; f32x4
  ;; division measured 2-3x slower). The blocks after them divide one by one; the last holds the pixels
  ;; that are left (width - (out-1) * f).
  (func $shrinkRow (param $acc i32) (param $width i32) (param $f i32) (param $rows i32) (param $dst i32) (param $full i32) (param $mf f64)
    (local $m i64) (local $out i32) (local $bx i32) (local $p i32) (local $end i32) (local $h i32) (local $s v128)
    (local $npx i32) (local $n i32) (local $r i32) (local $g i32) (local $b i32)
    (local.set $m (i64.trunc_f64_u (local.get $mf)))
    (local.set $h (i32.shr_u (i32.mul (local.get $rows) (local.get $f)) (i32.const 1)))
    (local.set $p (local.get $acc))
    (block $done
      (loop $block
        (br_if $done (i32.ge_u (local.get $bx) (local.get $full)))
        (local.set $end (i32.add (local.get $p) (i32.mul (local.get $f) (i32.const 6))))
        (local.set $s (i16x8.splat (local.get $h)))
        (loop $pixel
          (local.set $s (i16x8.add (local.get $s) (v128.load align=1 (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 6)))
          (br_if $pixel (i32.lt_u (local.get $p) (local.get $end))))
        (i32.store8 (local.get $dst) (i32.wrap_i64 (i64.shr_u (i64.mul
          (i64.extend_i32_u (i16x8.extract_lane_u 0 (local.get $s))) (local.get $m)) (i64.const 32))))
        (i32.store8 offset=1 (local.get $dst) (i32.wrap_i64 (i64.shr_u (i64.mul
          (i64.extend_i32_u (i16x8.extract_lane_u 1 (local.get $s))) (local.get $m)) (i64.const 32))))
        (i32.store8 offset=2 (local.get $dst) (i32.wrap_i64 (i64.shr_u (i64.mul
          (i64.extend_i32_u (i16x8.extract_lane_u 2 (local.get $s))) (local.get $m)) (i64.const 32))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 3)))
        (local.set $bx (i32.add (local.get $bx) (i32.const 1)))
        (br $block)))
    ;; The ragged last block, or every block where f > 16 (the caller passes full = 0 then).
    (local.set $out (i32.div_u (i32.add (local.get $width) (i32.sub (local.get $f) (i32.const 1))) (local.get $f)))
    (block $rest
      (loop $block
        (br_if $rest (i32.ge_u (local.get $bx) (local.get $out)))
        (local.set $npx (i32.sub (local.get $width) (i32.mul (local.get $bx) (local.get $f))))
        (if (i32.gt_u (local.get $npx) (local.get $f)) (then (local.set $npx (local.get $f))))
        (local.set $n (i32.mul (local.get $rows) (local.get $npx)))
        (local.set $end (i32.add (local.get $p) (i32.mul (local.get $npx) (i32.const 6))))
        (local.set $r (i32.shr_u (local.get $n) (i32.const 1)))
        (local.set $g (local.get $r))
        (local.set $b (local.get $r))
        (loop $pixel
          (local.set $r (i32.add (local.get $r) (i32.load16_u (local.get $p))))
          (local.set $g (i32.add (local.get $g) (i32.load16_u offset=2 (local.get $p))))
          (local.set $b (i32.add (local.get $b) (i32.load16_u offset=4 (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 6)))
          (br_if $pixel (i32.lt_u (local.get $p) (local.get $end))))
        (i32.store8 (local.get $dst) (i32.div_u (local.get $r) (local.get $n)))
        (i32.store8 offset=1 (local.get $dst) (i32.div_u (local.get $g) (local.get $n)))
        (i32.store8 offset=2 (local.get $dst) (i32.div_u (local.get $b) (local.get $n)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 3)))
        (local.set $bx (i32.add (local.get $bx) (i32.const 1)))
        (br $block))))

;; The frame at `src` (width x height RGB) averaged over f x f blocks into `dst` (ceil(width / f) x
  ;; ceil(height / f)), a row of blocks at a time through the u16 sums at `acc`. f <= 257.
  (func (export "boxShrink") (param $src i32) (param $width i32) (param $height i32) (param $f i32) (param $acc i32) (param $dst i32)
    (local $rowBytes i32) (local $y i32) (local $rows i32) (local $full i32) (local $outRow i32) (local $m f64)
    (local.set $rowBytes (i32.mul (local.get $width) (i32.const 3)))
    (local.set $outRow (i32.mul (i32.div_u (i32.add (local.get $width) (i32.sub (local.get $f) (i32.const 1))) (local.get $f)) (i32.const 3)))
    (if (i32.le_u (local.get $f) (i32.const 16)) (then (local.set $full (i32.div_u (local.get $width) (local.get $f)))))
    (block $done
      (loop $blockRow
        (br_if $done (i32.ge_u (local.get $y) (local.get $height)))
        (local.set $rows (i32.sub (local.get $height) (local.get $y)))
        (if (i32.gt_u (local.get $rows) (local.get $f)) (then (local.set $rows (local.get $f))))
        ;; ceil(2^32 / n) for the whole blocks' n = rows * f
        (local.set $m (f64.ceil (f64.div (f64.const 4294967296) (f64.convert_i32_u (i32.mul (local.get $rows) (local.get $f))))))
        (call $sumRows (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $rowBytes))) (local.get $rowBytes) (local.get $rows) (local.get $rowBytes) (local.get $acc))
        (call $shrinkRow (local.get $acc) (local.get $width) (local.get $f) (local.get $rows) (local.get $dst) (local.get $full) (local.get $m))
        (local.set $dst (i32.add (local.get $dst) (local.get $outRow)))
        (local.set $y (i32.add (local.get $y) (local.get $f)))
        (br $blockRow))))

  ;; `count` f32 values of -1 from `out` (16-byte aligned; count a multiple of 4): the letterbox's bars.
  (func (export "fillMinusOne") (param $out i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $fill
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (v128.store (local.get $out) (v128.const f32x4 -1 -1 -1 -1))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $fill))))

  ;; Bilinear sampling of the RGB bytes at `src` (`stride` bytes a row) into the planar f32 tensor at
  ;; `out` (size x size a plane), offset by (padX, padY), scaled to [-1, 1]. Tables of 16 bytes an entry:
  ;; columns (innerW): byte offsets c0, c1 (i32), weights wx0 / 127.5, wx1 / 127.5 (f32); rows (innerH):
  ;; r0, r1 (i32, in pixel rows), wy, vy = 1 - wy (f32). A pixel's R, G, B are the lanes of one f32x4
  ;; (a 4-byte load: the caller leaves a byte of slack), so the four taps cost four multiply-adds; f32
  ;; where resample.ts's JavaScript works in f64 (they differ by float rounding, < 1e-6).
  (func (export "bilinear")
    (param $src i32) (param $stride i32) (param $cols i32) (param $innerW i32) (param $rowsT i32) (param $innerH i32)
    (param $out i32) (param $size i32) (param $padX i32) (param $padY i32)
    (local $plane i32) (local $oy i32) (local $rt i32) (local $ct i32) (local $ce i32)
    (local $r0 i32) (local $r1 i32) (local $vvww v128) (local $d i32) (local $w v128) (local $v v128)
    (local $c0 i32) (local $c1 i32)
    (local.set $plane (i32.shl (i32.mul (local.get $size) (local.get $size)) (i32.const 2)))
    (local.set $ce (i32.add (local.get $cols) (i32.shl (local.get $innerW) (i32.const 4))))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $oy) (local.get $innerH)))
        (local.set $rt (i32.add (local.get $rowsT) (i32.shl (local.get $oy) (i32.const 4))))
        (local.set $r0 (i32.add (local.get $src) (i32.mul (i32.load (local.get $rt)) (local.get $stride))))
        (local.set $r1 (i32.add (local.get $src) (i32.mul (i32.load offset=4 (local.get $rt)) (local.get $stride))))
        ;; (vy, vy, wy, wy) from the entry's (wy, vy)
        (local.set $vvww (v128.load64_splat offset=8 (local.get $rt)))
        (local.set $vvww (i8x16.shuffle 4 5 6 7 4 5 6 7 0 1 2 3 0 1 2 3 (local.get $vvww) (local.get $vvww)))
        (local.set $d (i32.add (local.get $out) (i32.shl
          (i32.add (i32.mul (i32.add (local.get $oy) (local.get $padY)) (local.get $size)) (local.get $padX))
          (i32.const 2))))
        (local.set $ct (local.get $cols))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_u (local.get $ct) (local.get $ce)))
            ;; (w00, w01, w10, w11) = (wx0, wx1, wx0, wx1) x (vy, vy, wy, wy)
            (local.set $w (f32x4.mul (v128.load64_splat offset=8 (local.get $ct)) (local.get $vvww)))
            (local.set $c0 (i32.load (local.get $ct)))
            (local.set $c1 (i32.load offset=4 (local.get $ct)))
            (local.set $v (f32x4.sub (f32x4.add (f32x4.add (f32x4.add
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                (v128.load32_zero align=1 (i32.add (local.get $r0) (local.get $c0)))))) (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $w) (local.get $w)))
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                (v128.load32_zero align=1 (i32.add (local.get $r0) (local.get $c1)))))) (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $w) (local.get $w))))
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                (v128.load32_zero align=1 (i32.add (local.get $r1) (local.get $c0)))))) (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $w) (local.get $w))))
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                (v128.load32_zero align=1 (i32.add (local.get $r1) (local.get $c1)))))) (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $w) (local.get $w))))
              (v128.const f32x4 1 1 1 1)))
            (f32.store (local.get $d) (f32x4.extract_lane 0 (local.get $v)))
            (f32.store (i32.add (local.get $d) (local.get $plane)) (f32x4.extract_lane 1 (local.get $v)))
            (f32.store (i32.add (local.get $d) (i32.shl (local.get $plane) (i32.const 1))) (f32x4.extract_lane 2 (local.get $v)))
            (local.set $d (i32.add (local.get $d) (i32.const 4)))
            (local.set $ct (i32.add (local.get $ct) (i32.const 16)))
            (br $col)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $row))))
;; The classifier's grey crop, resample.ts's cropGrey step for step in f64 (the same bytes out).
  ;; Tables at `luts`: each channel's linear-light share of luminance per sRGB byte (3 x i32[256]), then
  ;; linear light (1/65535 steps) to an sRGB byte (u8[65540]). Source: RGB rows at `src` + rows[j] (i32),
  ;; columns at + cols[i] (i32), edge replication already in those offsets. First the f x f block means
  ;; of grey (rounded as JavaScript's Math.round) into f32 `shrunk` (sw x sh, four rows interleaved:
  ;; row j's column i at ((j >> 2) * sw + i) * 4 + (j & 3)); then the triangle filter
  ;; across (nx taps an output: i32 index, f32 weight tables) into f32 `across` (sh rounded up to 4, x size) and down (ny
  ;; taps) into the u8 `out` (size x size), each output rounded half up and clamped.
  (func (export "cropGrey")
    (param $luts i32) (param $src i32) (param $cols i32) (param $rowsT i32)
    (param $sw i32) (param $sh i32) (param $fx i32) (param $fy i32)
    (param $xi i32) (param $xw i32) (param $nx i32) (param $yi i32) (param $yw i32) (param $ny i32)
    (param $size i32) (param $shrunk i32) (param $across i32) (param $out i32)
    (local $j i32) (local $i i32) (local $a i32) (local $b i32) (local $s i32) (local $base i32) (local $sum i32)
    (local $o i32) (local $k i32) (local $t i32) (local $acc f64) (local $q f64) (local $r f64) (local $area f64)
    (local $row i32) (local $v i32) (local $dst i32) (local $acc2 v128) (local $accHi v128) (local $v4 v128) (local $w2 v128)
    (local.set $area (f64.convert_i32_u (i32.mul (local.get $fx) (local.get $fy))))
    (local.set $dst (local.get $shrunk))
    ;; 1. grey, averaged over fx x fy blocks
    (local.set $j (i32.const 0))
    (block $jDone
      (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $sh)))
        (local.set $i (i32.const 0))
        (block $iDone
          (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $sw)))
            (local.set $sum (i32.const 0))
            (local.set $b (i32.const 0))
            (loop $bLoop
              (local.set $base (i32.add (local.get $src)
                (i32.load (i32.add (local.get $rowsT) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $fy)) (local.get $b)) (i32.const 2))))))
              (local.set $a (i32.const 0))
              (loop $aLoop
                (local.set $s (i32.add (local.get $base)
                  (i32.load (i32.add (local.get $cols) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $fx)) (local.get $a)) (i32.const 2))))))
                (local.set $sum (i32.add (local.get $sum) (i32.load8_u offset=3072 (i32.add (local.get $luts)
                  (i32.add (i32.add
                    (i32.load (i32.add (local.get $luts) (i32.shl (i32.load8_u (local.get $s)) (i32.const 2))))
                    (i32.load offset=1024 (i32.add (local.get $luts) (i32.shl (i32.load8_u offset=1 (local.get $s)) (i32.const 2)))))
                    (i32.load offset=2048 (i32.add (local.get $luts) (i32.shl (i32.load8_u offset=2 (local.get $s)) (i32.const 2)))))))))
                (local.set $a (i32.add (local.get $a) (i32.const 1)))
                (br_if $aLoop (i32.lt_u (local.get $a) (local.get $fx))))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))
              (br_if $bLoop (i32.lt_u (local.get $b) (local.get $fy))))
            (if (f64.eq (local.get $area) (f64.const 1))
              (then (f32.store (local.get $dst) (f32.convert_i32_u (local.get $sum))))
              (else
                ;; Math.round(sum / area): r = ceil(q), less one where r - 0.5 > q (V8's, ties up)
                (local.set $q (f64.div (f64.convert_i32_u (local.get $sum)) (local.get $area)))
                (local.set $r (f64.ceil (local.get $q)))
                (if (f64.gt (f64.sub (local.get $r) (f64.const 0.5)) (local.get $q))
                  (then (local.set $r (f64.sub (local.get $r) (f64.const 1)))))
                (f32.store (local.get $dst) (f32.demote_f64 (local.get $r)))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iLoop)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        ;; row j's first column: block of four rows (j >> 2), lane (j & 3)
        (local.set $dst (i32.add (local.get $shrunk) (i32.add
          (i32.shl (i32.mul (i32.shr_u (local.get $j) (i32.const 2)) (local.get $sw)) (i32.const 4))
          (i32.shl (i32.and (local.get $j) (i32.const 3)) (i32.const 2)))))
        (br $jLoop)))
    ;; 2. across: each row of `shrunk` to `size` outputs, four rows at a time (two f64x2 accumulators
    ;; from one f32x4 load; rows past sh are padding, computed and never read)
    (local.set $j (i32.const 0))
    (block $yDone
      (loop $yLoop
        (br_if $yDone (i32.ge_u (local.get $j) (local.get $sh)))
        (local.set $row (i32.add (local.get $shrunk) (i32.shl (i32.mul (local.get $j) (local.get $sw)) (i32.const 2))))
        (local.set $dst (i32.add (local.get $across) (i32.shl (i32.mul (local.get $j) (local.get $size)) (i32.const 2))))
        (local.set $t (i32.const 0))
        (local.set $o (i32.const 0))
        (block $oDone
          (loop $oLoop
            (br_if $oDone (i32.ge_u (local.get $o) (local.get $size)))
            (local.set $acc2 (v128.const f64x2 0 0))
            (local.set $accHi (v128.const f64x2 0 0))
            (local.set $k (i32.const 0))
            (loop $kLoop
              (local.set $v4 (v128.load (i32.add (local.get $row) (i32.shl (i32.load (i32.add (local.get $xi) (local.get $t))) (i32.const 4)))))
              (local.set $w2 (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $xw) (local.get $t))))))
              (local.set $acc2 (f64x2.add (local.get $acc2) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v4)) (local.get $w2))))
              (local.set $accHi (f64x2.add (local.get $accHi) (f64x2.mul
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v4) (local.get $v4)))
                (local.get $w2))))
              (local.set $t (i32.add (local.get $t) (i32.const 4)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br_if $kLoop (i32.lt_u (local.get $k) (local.get $nx))))
            ;; rows j..j+3 of output column o, `size` f32 apart
            (local.set $v4 (f32x4.demote_f64x2_zero (local.get $acc2)))
            (f32.store (local.get $dst) (f32x4.extract_lane 0 (local.get $v4)))
            (f32.store (i32.add (local.get $dst) (i32.shl (local.get $size) (i32.const 2))) (f32x4.extract_lane 1 (local.get $v4)))
            (local.set $v4 (f32x4.demote_f64x2_zero (local.get $accHi)))
            (f32.store (i32.add (local.get $dst) (i32.shl (local.get $size) (i32.const 3))) (f32x4.extract_lane 0 (local.get $v4)))
            (f32.store (i32.add (local.get $dst) (i32.mul (local.get $size) (i32.const 12))) (f32x4.extract_lane 1 (local.get $v4)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $oLoop)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $yLoop)))
    ;; 3. down: each column of `across` to `size` outputs (two at a time in f64x2 lanes: size is even),
    ;; rounded half up and clamped to bytes
    (local.set $dst (local.get $out))
    (local.set $o (i32.const 0))
    (block $rowDone
      (loop $rowLoop
        (br_if $rowDone (i32.ge_u (local.get $o) (local.get $size)))
        (local.set $i (i32.const 0))
        (block $xDone
          (loop $xLoop
            (br_if $xDone (i32.ge_u (local.get $i) (local.get $size)))
            (local.set $acc2 (v128.const f64x2 0 0))
            (local.set $t (i32.shl (i32.mul (local.get $o) (local.get $ny)) (i32.const 2)))
            (local.set $k (i32.const 0))
            (loop $kLoop2
              (local.set $acc2 (f64x2.add (local.get $acc2) (f64x2.mul
                (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (i32.add (local.get $across) (i32.shl
                  (i32.add (i32.mul (i32.load (i32.add (local.get $yi) (local.get $t))) (local.get $size)) (local.get $i))
                  (i32.const 2)))))
                (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $yw) (local.get $t))))))))
              (local.set $t (i32.add (local.get $t) (i32.const 4)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br_if $kLoop2 (i32.lt_u (local.get $k) (local.get $ny))))
            ;; (acc + 0.5) truncated, clamped to 0..255, as two bytes
            (local.set $acc2 (f64x2.add (local.get $acc2) (v128.const f64x2 0.5 0.5)))
            (local.set $v (i32.trunc_sat_f64_s (f64x2.extract_lane 0 (local.get $acc2))))
            (if (i32.lt_s (local.get $v) (i32.const 0)) (then (local.set $v (i32.const 0))))
            (if (i32.gt_s (local.get $v) (i32.const 255)) (then (local.set $v (i32.const 255))))
            (i32.store8 (local.get $dst) (local.get $v))
            (local.set $v (i32.trunc_sat_f64_s (f64x2.extract_lane 1 (local.get $acc2))))
            (if (i32.lt_s (local.get $v) (i32.const 0)) (then (local.set $v (i32.const 0))))
            (if (i32.gt_s (local.get $v) (i32.const 255)) (then (local.set $v (i32.const 255))))
            (i32.store8 offset=1 (local.get $dst) (local.get $v))
            (local.set $dst (i32.add (local.get $dst) (i32.const 2)))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br $xLoop)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $rowLoop))))
)
