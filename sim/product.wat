(module
  (import "env" "memory" (memory 1))

  ;; Sum over m < kept of f64 at w + 8 m times f64 at q + stride m.
  (func $dot (param $w i32) (param $q i32) (param $kept i32) (param $stride i32) (result f64)
    (local $m i32) (local $sum f64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $m) (local.get $kept)))
        (local.set $sum (f64.add (local.get $sum)
          (f64.mul (f64.load (local.get $w)) (f64.load (local.get $q)))))
        (local.set $w (i32.add (local.get $w) (i32.const 8)))
        (local.set $q (i32.add (local.get $q) (local.get $stride)))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  ;; out[i][c] = t * sum_m weights[i][m] * rows[m][c], for i < n, c < width; weights has row
  ;; stride kept, rows and out have row stride width; all f64, pointers in bytes.
  (func (export "product") (param $weights i32) (param $rows i32) (param $out i32)
      (param $n i32) (param $kept i32) (param $width i32) (param $t f64)
    (local $i i32) (local $c i32) (local $m i32)
    (local $w0 i32) (local $w1 i32) (local $q i32) (local $o0 i32) (local $o1 i32)
    (local $stride i32) (local $wstride i32)
    (local $a0 v128) (local $a1 v128) (local $q0 v128) (local $q1 v128)
    (local $x00 v128) (local $x01 v128) (local $x10 v128) (local $x11 v128) (local $tt v128)
    (local.set $stride (i32.shl (local.get $width) (i32.const 3)))
    (local.set $wstride (i32.shl (local.get $kept) (i32.const 3)))
    (local.set $tt (f64x2.splat (local.get $t)))
    (block $rowsDone
      (loop $rowPair
        (br_if $rowsDone (i32.gt_s (i32.add (local.get $i) (i32.const 2)) (local.get $n)))
        (local.set $w0 (i32.add (local.get $weights) (i32.mul (local.get $i) (local.get $wstride))))
        (local.set $w1 (i32.add (local.get $w0) (local.get $wstride)))
        (local.set $o0 (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $o1 (i32.add (local.get $o0) (local.get $stride)))
        (local.set $c (i32.const 0))
        (block $colsDone
          (loop $colQuad
            (br_if $colsDone (i32.gt_s (i32.add (local.get $c) (i32.const 4)) (local.get $width)))
            (local.set $x00 (v128.const i64x2 0 0))
            (local.set $x01 (v128.const i64x2 0 0))
            (local.set $x10 (v128.const i64x2 0 0))
            (local.set $x11 (v128.const i64x2 0 0))
            (local.set $q (i32.add (local.get $rows) (i32.shl (local.get $c) (i32.const 3))))
            (local.set $m (i32.const 0))
            (block $mDone
              (loop $mNext
                (br_if $mDone (i32.ge_u (local.get $m) (local.get $kept)))
                (local.set $a0 (f64x2.splat (f64.load
                  (i32.add (local.get $w0) (i32.shl (local.get $m) (i32.const 3))))))
                (local.set $a1 (f64x2.splat (f64.load
                  (i32.add (local.get $w1) (i32.shl (local.get $m) (i32.const 3))))))
                (local.set $q0 (v128.load (local.get $q)))
                (local.set $q1 (v128.load offset=16 (local.get $q)))
                (local.set $x00 (f64x2.add (local.get $x00) (f64x2.mul (local.get $a0) (local.get $q0))))
                (local.set $x01 (f64x2.add (local.get $x01) (f64x2.mul (local.get $a0) (local.get $q1))))
                (local.set $x10 (f64x2.add (local.get $x10) (f64x2.mul (local.get $a1) (local.get $q0))))
                (local.set $x11 (f64x2.add (local.get $x11) (f64x2.mul (local.get $a1) (local.get $q1))))
                (local.set $q (i32.add (local.get $q) (local.get $stride)))
                (local.set $m (i32.add (local.get $m) (i32.const 1)))
                (br $mNext)))
            (v128.store (i32.add (local.get $o0) (i32.shl (local.get $c) (i32.const 3)))
              (f64x2.mul (local.get $tt) (local.get $x00)))
            (v128.store offset=16 (i32.add (local.get $o0) (i32.shl (local.get $c) (i32.const 3)))
              (f64x2.mul (local.get $tt) (local.get $x01)))
            (v128.store (i32.add (local.get $o1) (i32.shl (local.get $c) (i32.const 3)))
              (f64x2.mul (local.get $tt) (local.get $x10)))
            (v128.store offset=16 (i32.add (local.get $o1) (i32.shl (local.get $c) (i32.const 3)))
              (f64x2.mul (local.get $tt) (local.get $x11)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $colQuad)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_s (local.get $c) (local.get $width)))
            (local.set $q (i32.add (local.get $rows) (i32.shl (local.get $c) (i32.const 3))))
            (f64.store (i32.add (local.get $o0) (i32.shl (local.get $c) (i32.const 3)))
              (f64.mul (local.get $t)
                (call $dot (local.get $w0) (local.get $q) (local.get $kept) (local.get $stride))))
            (f64.store (i32.add (local.get $o1) (i32.shl (local.get $c) (i32.const 3)))
              (f64.mul (local.get $t)
                (call $dot (local.get $w1) (local.get $q) (local.get $kept) (local.get $stride))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $tail)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rowPair)))
    (block $lastDone
      (br_if $lastDone (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $w0 (i32.add (local.get $weights) (i32.mul (local.get $i) (local.get $wstride))))
      (local.set $o0 (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $stride))))
      (local.set $c (i32.const 0))
      (loop $last
        (br_if $lastDone (i32.ge_s (local.get $c) (local.get $width)))
        (local.set $q (i32.add (local.get $rows) (i32.shl (local.get $c) (i32.const 3))))
        (f64.store (i32.add (local.get $o0) (i32.shl (local.get $c) (i32.const 3)))
          (f64.mul (local.get $t)
            (call $dot (local.get $w0) (local.get $q) (local.get $kept) (local.get $stride))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $last)))))
