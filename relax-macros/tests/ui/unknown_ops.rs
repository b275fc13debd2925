relax_macros::relax! {
    mod m {
        fn f(x: Tensor<[n, 4], f32>) -> Tensor<[n, 4], f32> {
            dataflow {
                let a = frobnicate(x);
                let b = relu(x) + wibble(x, axis = 1);
                output b;
            }
            b
        }
    }
}

fn main() {}
