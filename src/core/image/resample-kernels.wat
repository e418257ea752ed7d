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
  (func (export "sumRows") (param $src i32) (param $stride i32) (param $rows i32) (param $bytes i32) (param $acc i32)
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
  (func (export "shrinkRow") (param $acc i32) (param $width i32) (param $f i32) (param $rows i32) (param $dst i32) (param $full i32) (param $mf f64)
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
  ;; `out` (size x size a plane), offset by (padX, padY), scaled to [-1, 1]. Tables of 24 bytes an entry:
  ;; columns (innerW): byte offsets c0, c1 (i32), weights wx0 / 127.5, wx1 / 127.5 (f64); rows (innerH):
  ;; r0, r1 (i32, in pixel rows), wy, vy = 1 - wy (f64). In f64, in resample.ts's order, stored as f32:
  ;; red and green in the two lanes of f64x2 (a 4-byte load: the caller leaves a byte of slack), blue beside them.
  (func (export "bilinear")
    (param $src i32) (param $stride i32) (param $cols i32) (param $innerW i32) (param $rowsT i32) (param $innerH i32)
    (param $out i32) (param $size i32) (param $padX i32) (param $padY i32)
    (local $plane i32) (local $oy i32) (local $rt i32) (local $ct i32) (local $ce i32)
    (local $r0 i32) (local $r1 i32) (local $wy v128) (local $vy v128) (local $d i32)
    (local $wx v128) (local $top v128) (local $bottom v128)
    (local $p00 i32) (local $p01 i32) (local $p10 i32) (local $p11 i32) (local $rg v128)
    (local.set $plane (i32.shl (i32.mul (local.get $size) (local.get $size)) (i32.const 2)))
    (local.set $ce (i32.add (local.get $cols) (i32.mul (local.get $innerW) (i32.const 24))))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $oy) (local.get $innerH)))
        (local.set $rt (i32.add (local.get $rowsT) (i32.mul (local.get $oy) (i32.const 24))))
        (local.set $r0 (i32.add (local.get $src) (i32.mul (i32.load (local.get $rt)) (local.get $stride))))
        (local.set $r1 (i32.add (local.get $src) (i32.mul (i32.load offset=4 (local.get $rt)) (local.get $stride))))
        (local.set $wy (v128.load64_splat offset=8 (local.get $rt)))
        (local.set $vy (v128.load64_splat offset=16 (local.get $rt)))
        (local.set $d (i32.add (local.get $out) (i32.shl
          (i32.add (i32.mul (i32.add (local.get $oy) (local.get $padY)) (local.get $size)) (local.get $padX))
          (i32.const 2))))
        (local.set $ct (local.get $cols))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_u (local.get $ct) (local.get $ce)))
            ;; (w00, w01) and (w10, w11): the column's two weights times the row's.
            (local.set $wx (v128.load offset=8 align=8 (local.get $ct)))
            (local.set $top (f64x2.mul (local.get $wx) (local.get $vy)))
            (local.set $bottom (f64x2.mul (local.get $wx) (local.get $wy)))
            (local.set $p00 (i32.add (local.get $r0) (i32.load (local.get $ct))))
            (local.set $p01 (i32.add (local.get $r0) (i32.load offset=4 (local.get $ct))))
            (local.set $p10 (i32.add (local.get $r1) (i32.load (local.get $ct))))
            (local.set $p11 (i32.add (local.get $r1) (i32.load offset=4 (local.get $ct))))
            (local.set $rg (f64x2.sub (f64x2.add (f64x2.add (f64x2.add
              (f64x2.mul (f64x2.convert_low_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                (v128.load32_zero align=1 (local.get $p00))))) (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $top) (local.get $top)))
              (f64x2.mul (f64x2.convert_low_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                (v128.load32_zero align=1 (local.get $p01))))) (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $top) (local.get $top))))
              (f64x2.mul (f64x2.convert_low_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                (v128.load32_zero align=1 (local.get $p10))))) (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $bottom) (local.get $bottom))))
              (f64x2.mul (f64x2.convert_low_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                (v128.load32_zero align=1 (local.get $p11))))) (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $bottom) (local.get $bottom))))
              (v128.const f64x2 1 1)))
            (f32.store (local.get $d) (f32.demote_f64 (f64x2.extract_lane 0 (local.get $rg))))
            (f32.store (i32.add (local.get $d) (local.get $plane)) (f32.demote_f64 (f64x2.extract_lane 1 (local.get $rg))))
            (f32.store (i32.add (local.get $d) (i32.shl (local.get $plane) (i32.const 1))) (f32.demote_f64 (f64.sub (f64.add (f64.add (f64.add
              (f64.mul (f64.convert_i32_u (i32.load8_u offset=2 (local.get $p00))) (f64x2.extract_lane 0 (local.get $top)))
              (f64.mul (f64.convert_i32_u (i32.load8_u offset=2 (local.get $p01))) (f64x2.extract_lane 1 (local.get $top))))
              (f64.mul (f64.convert_i32_u (i32.load8_u offset=2 (local.get $p10))) (f64x2.extract_lane 0 (local.get $bottom))))
              (f64.mul (f64.convert_i32_u (i32.load8_u offset=2 (local.get $p11))) (f64x2.extract_lane 1 (local.get $bottom))))
              (f64.const 1))))
            (local.set $d (i32.add (local.get $d) (i32.const 4)))
            (local.set $ct (i32.add (local.get $ct) (i32.const 24)))
            (br $col)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $row))))
)
