relax_macros::relax! {
    mod m {
        fn f(x: Tensor<[n, 64], f32>, w: Tensor<[32, 10], f32>) -> Tensor<[n, 10], f32> {
            let y = matmul(x, w);
            y
        }
    }
}

fn main() {}
