;; Dot products of data rows with centre rows, for dot-kernel.ts. Assembled by `npm run build:wasm`
;; into dot-kernel-wasm.ts; test/cluster/dot-kernel.test.ts checks that the two agree.
;;
;; out[i*k + j] = sum over d of x[i*dim + d] * c[j*dim + d], for i < n and j < k.
;; Every pointer is a byte offset into the imported memory; rows are f32 and dim is a multiple of 4.
;; Each (row, centre) pair accumulates 16 floats a step in four independent f32x4 registers (so the
;; additions do not wait on each other), then 4 floats a step, then adds the registers and their lanes.
(module
  (import "env" "memory" (memory 1))
  (func (export "dots") (param $x i32) (param $n i32) (param $c i32) (param $k i32) (param $dim i32) (param $out i32)
    (local $i i32) (local $j i32) (local $xp i32) (local $cp i32) (local $d i32) (local $rowBytes i32) (local $op i32)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local.set $rowBytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $op (local.get $out))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $xp (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $j (i32.const 0))
        (local.set $cp (local.get $c))
        (block $centresDone
          (loop $centres
            (br_if $centresDone (i32.ge_u (local.get $j) (local.get $k)))
            (local.set $acc0 (v128.const i32x4 0 0 0 0))
            (local.set $acc1 (v128.const i32x4 0 0 0 0))
            (local.set $acc2 (v128.const i32x4 0 0 0 0))
            (local.set $acc3 (v128.const i32x4 0 0 0 0))
            (local.set $d (i32.const 0))
            (block $sixteensDone
              (loop $sixteens
                (br_if $sixteensDone (i32.gt_u (i32.add (local.get $d) (i32.const 64)) (local.get $rowBytes)))
                (local.set $acc0 (f32x4.add (local.get $acc0)
                  (f32x4.mul (v128.load offset=0 align=4 (i32.add (local.get $xp) (local.get $d)))
                             (v128.load offset=0 align=4 (i32.add (local.get $cp) (local.get $d))))))
                (local.set $acc1 (f32x4.add (local.get $acc1)
                  (f32x4.mul (v128.load offset=16 align=4 (i32.add (local.get $xp) (local.get $d)))
                             (v128.load offset=16 align=4 (i32.add (local.get $cp) (local.get $d))))))
                (local.set $acc2 (f32x4.add (local.get $acc2)
                  (f32x4.mul (v128.load offset=32 align=4 (i32.add (local.get $xp) (local.get $d)))
                             (v128.load offset=32 align=4 (i32.add (local.get $cp) (local.get $d))))))
                (local.set $acc3 (f32x4.add (local.get $acc3)
                  (f32x4.mul (v128.load offset=48 align=4 (i32.add (local.get $xp) (local.get $d)))
                             (v128.load offset=48 align=4 (i32.add (local.get $cp) (local.get $d))))))
                (local.set $d (i32.add (local.get $d) (i32.const 64)))
                (br $sixteens)))
            (block $foursDone
              (loop $fours
                (br_if $foursDone (i32.gt_u (i32.add (local.get $d) (i32.const 16)) (local.get $rowBytes)))
                (local.set $acc0 (f32x4.add (local.get $acc0)
                  (f32x4.mul (v128.load offset=0 align=4 (i32.add (local.get $xp) (local.get $d)))
                             (v128.load offset=0 align=4 (i32.add (local.get $cp) (local.get $d))))))
                (local.set $d (i32.add (local.get $d) (i32.const 16)))
                (br $fours)))
            (local.set $acc0 (f32x4.add (f32x4.add (local.get $acc0) (local.get $acc1))
                                        (f32x4.add (local.get $acc2) (local.get $acc3))))
            (f32.store align=4 (local.get $op)
              (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
                       (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
            (local.set $op (i32.add (local.get $op) (i32.const 4)))
            (local.set $cp (i32.add (local.get $cp) (local.get $rowBytes)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $centres)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))))
