relax_macros::relax! {
    mod m {
        fn f(x: Tensor<[n, 4], f32>) -> Tensor<[n, 4], f32> {
            let y = x + bias;
            y
        }
    }
}

fn main() {}
