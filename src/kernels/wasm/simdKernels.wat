;; The optimizer kernels in WebAssembly SIMD (f32x4), for large updates in place.
;; Pointers are byte offsets into the imported memory, 16-byte aligned; n is a multiple of 4.
;; Each update kernel returns the sum of next[i] - next[i]: 0 when every x_i + u_i is finite, NaN
;; otherwise; sumSquares returns a sum of squares (for norms).
;; Built by scripts/buildWasm.ts (wabt's wat2wasm) into src/kernels/wasm/simdKernelsBinary.ts.
(module
  (import "env" "memory" (memory 1))

  (func $hsum (param $a v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
      (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))

  ;; Adam / AdamW (no AMSGrad):
  ;;   g' = g + lc*x;  m = b1*m + c1*g';  v = b2*v + c2*g'^2
  ;;   d = (m*ibc1) / (sqrt(v)*irbc2 + eps);  u = eta*(d + ld*x);  next = x + u
  (func (export "adam")
    (param $n i32) (param $g i32) (param $x i32) (param $m i32) (param $v i32) (param $u i32) (param $next i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $ibc1 f32) (param $irbc2 f32)
    (param $eps f32) (param $eta f32) (param $lc f32) (param $ld f32) (result f32)
    (local $i i32) (local $end i32) (local $acc v128)
    (local $vb1 v128) (local $vc1 v128) (local $vb2 v128) (local $vc2 v128) (local $vibc1 v128) (local $virbc2 v128)
    (local $veps v128) (local $veta v128) (local $vlc v128) (local $vld v128)
    (local $xi v128) (local $gi v128) (local $mi v128) (local $vi v128) (local $di v128) (local $ui v128) (local $xn v128)
    (local.set $vb1 (f32x4.splat (local.get $b1)))
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vb2 (f32x4.splat (local.get $b2)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $vibc1 (f32x4.splat (local.get $ibc1)))
    (local.set $virbc2 (f32x4.splat (local.get $irbc2)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $veta (f32x4.splat (local.get $eta)))
    (local.set $vlc (f32x4.splat (local.get $lc)))
    (local.set $vld (f32x4.splat (local.get $ld)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next_i
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $xi (v128.load (i32.add (local.get $x) (local.get $i))))
        (local.set $gi (f32x4.add (v128.load (i32.add (local.get $g) (local.get $i))) (f32x4.mul (local.get $vlc) (local.get $xi))))
        (local.set $mi (f32x4.add
          (f32x4.mul (local.get $vb1) (v128.load (i32.add (local.get $m) (local.get $i))))
          (f32x4.mul (local.get $vc1) (local.get $gi))))
        (local.set $vi (f32x4.add
          (f32x4.mul (local.get $vb2) (v128.load (i32.add (local.get $v) (local.get $i))))
          (f32x4.mul (f32x4.mul (local.get $vc2) (local.get $gi)) (local.get $gi))))
        (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $mi))
        (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $vi))
        (local.set $di (f32x4.div
          (f32x4.mul (local.get $mi) (local.get $vibc1))
          (f32x4.add (f32x4.mul (f32x4.sqrt (local.get $vi)) (local.get $virbc2)) (local.get $veps))))
        (local.set $ui (f32x4.mul (local.get $veta) (f32x4.add (local.get $di) (f32x4.mul (local.get $vld) (local.get $xi)))))
        (v128.store (i32.add (local.get $u) (local.get $i)) (local.get $ui))
        (local.set $xn (f32x4.add (local.get $xi) (local.get $ui)))
        (v128.store (i32.add (local.get $next) (local.get $i)) (local.get $xn))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.sub (local.get $xn) (local.get $xn))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next_i)))
    (call $hsum (local.get $acc)))

  ;; The sum of squares of n float32 values at p, in float64 (exact squares, any n): the L2 norms
  ;; of gradients and updates. Two f64x2 accumulators for the lanes, a scalar loop for the n mod 4 last.
  (func (export "sumSquares") (param $n i32) (param $p i32) (result f64)
    (local $i i32) (local $end i32) (local $stop i32) (local $v v128) (local $lo v128) (local $hi v128)
    (local $a v128) (local $b v128) (local $s f64) (local $d f64)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next_i
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (v128.load (i32.add (local.get $p) (local.get $i))))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $hi (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $a (f64x2.add (local.get $a) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $b (f64x2.add (local.get $b) (f64x2.mul (local.get $hi) (local.get $hi))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next_i)))
    (local.set $stop (i32.shl (local.get $n) (i32.const 2)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $stop)))
        (local.set $d (f64.promote_f32 (f32.load (i32.add (local.get $p) (local.get $i)))))
        (local.set $s (f64.add (local.get $s) (f64.mul (local.get $d) (local.get $d))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail)))
    (f64.add
      (f64.add
        (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a)))
        (f64.add (f64x2.extract_lane 0 (local.get $b)) (f64x2.extract_lane 1 (local.get $b))))
      (local.get $s)))

  ;; SGD with a momentum buffer that exists:
  ;;   g' = g + lambda*x;  t = mu*t + keep*g';  d = g' + mu*t (nesterov) | t;  u = eta*d;  next = x + u
  (func (export "sgdMomentum")
    (param $n i32) (param $g i32) (param $x i32) (param $t i32) (param $u i32) (param $next i32)
    (param $mu f32) (param $keep f32) (param $eta f32) (param $lambda f32) (param $nesterov i32) (result f32)
    (local $i i32) (local $end i32) (local $acc v128)
    (local $vmu v128) (local $vkeep v128) (local $veta v128) (local $vlambda v128)
    (local $xi v128) (local $gi v128) (local $ti v128) (local $di v128) (local $ui v128) (local $xn v128)
    (local.set $vmu (f32x4.splat (local.get $mu)))
    (local.set $vkeep (f32x4.splat (local.get $keep)))
    (local.set $veta (f32x4.splat (local.get $eta)))
    (local.set $vlambda (f32x4.splat (local.get $lambda)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next_i
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $xi (v128.load (i32.add (local.get $x) (local.get $i))))
        (local.set $gi (f32x4.add (v128.load (i32.add (local.get $g) (local.get $i))) (f32x4.mul (local.get $vlambda) (local.get $xi))))
        (local.set $ti (f32x4.add
          (f32x4.mul (local.get $vmu) (v128.load (i32.add (local.get $t) (local.get $i))))
          (f32x4.mul (local.get $vkeep) (local.get $gi))))
        (v128.store (i32.add (local.get $t) (local.get $i)) (local.get $ti))
        (local.set $di (select (result v128)
          (f32x4.add (local.get $gi) (f32x4.mul (local.get $vmu) (local.get $ti)))
          (local.get $ti)
          (local.get $nesterov)))
        (local.set $ui (f32x4.mul (local.get $veta) (local.get $di)))
        (v128.store (i32.add (local.get $u) (local.get $i)) (local.get $ui))
        (local.set $xn (f32x4.add (local.get $xi) (local.get $ui)))
        (v128.store (i32.add (local.get $next) (local.get $i)) (local.get $xn))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.sub (local.get $xn) (local.get $xn))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next_i)))
    (call $hsum (local.get $acc)))
)
