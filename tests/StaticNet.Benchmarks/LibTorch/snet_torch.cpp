// The reference network (784 -> Linear(100) -> ReLU -> Linear(10) -> softmax / cross-entropy) in libtorch's C++ API,
// written as a libtorch user would write it, behind a C interface that LibTorchBenchmarks calls through P/Invoke.
// Build: ./build.sh in this folder (needs g++ and Debian's libtorch-dev; see README.md here).
#include <torch/torch.h>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int64_t Input = 784, Hidden = 100, Output = 10;

struct Mlp : torch::nn::Module {
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
    Mlp() {
        fc1 = register_module("fc1", torch::nn::Linear(Input, Hidden));
        fc2 = register_module("fc2", torch::nn::Linear(Hidden, Output));
    }
    torch::Tensor forward(const torch::Tensor& x) { return fc2->forward(torch::relu(fc1->forward(x))); }
};

struct Handle {
    std::shared_ptr<Mlp> net = std::make_shared<Mlp>();
    torch::optim::SGD sgd{net->parameters(), torch::optim::SGDOptions(0.1)};
    torch::Tensor labels;  // int64, the batch capacity long: cross_entropy wants class indices as int64
    int capacity;
    explicit Handle(int capacity) : labels(torch::zeros({capacity}, torch::kInt64)), capacity(capacity) {}
};

std::string last_error;

template <class F> int guarded(F&& f) {
    try { f(); return 0; }
    catch (const std::exception& e) { last_error = e.what(); return 1; }
}

}  // namespace

extern "C" {

const char* snt_last_error() { return last_error.c_str(); }

// What this libtorch was built with (version, BLAS, OpenMP) and the threads it will use.
const char* snt_config() {
    static std::string config;
    config = torch::show_config() + at::get_parallel_info();
    return config.c_str();
}

// threads: libtorch's intra-op threads (at::set_num_threads, which is per process).
void* snt_create(int capacity, int threads) {
    Handle* h = nullptr;
    if (guarded([&] { at::set_num_threads(threads); torch::manual_seed(0); h = new Handle(capacity); }) != 0) return nullptr;
    return h;
}

void snt_destroy(void* handle) { delete static_cast<Handle*>(handle); }

// The canonical flat layout of RefShape: W1 [784, 100] row-major (h = x·W1 + b1), b1 [100], W2 [100, 10], b2 [10].
// nn.Linear keeps its weight as [out, in], the transpose.
int snt_set_parameters(void* handle, const float* p) {
    return guarded([&] {
        auto* h = static_cast<Handle*>(handle);
        torch::NoGradGuard no_grad;
        const float* w1 = p;
        const float* b1 = w1 + Input * Hidden;
        const float* w2 = b1 + Hidden;
        const float* b2 = w2 + Hidden * Output;
        h->net->fc1->weight.copy_(torch::from_blob(const_cast<float*>(w1), {Input, Hidden}).t());
        h->net->fc1->bias.copy_(torch::from_blob(const_cast<float*>(b1), {Hidden}));
        h->net->fc2->weight.copy_(torch::from_blob(const_cast<float*>(w2), {Hidden, Output}).t());
        h->net->fc2->bias.copy_(torch::from_blob(const_cast<float*>(b2), {Output}));
    });
}

int snt_get_parameters(void* handle, float* p) {
    return guarded([&] {
        auto* h = static_cast<Handle*>(handle);
        torch::NoGradGuard no_grad;
        float* w1 = p;
        float* b1 = w1 + Input * Hidden;
        float* w2 = b1 + Hidden;
        float* b2 = w2 + Hidden * Output;
        torch::from_blob(w1, {Input, Hidden}).copy_(h->net->fc1->weight.t());
        torch::from_blob(b1, {Hidden}).copy_(h->net->fc1->bias);
        torch::from_blob(w2, {Hidden, Output}).copy_(h->net->fc2->weight.t());
        torch::from_blob(b2, {Output}).copy_(h->net->fc2->bias);
    });
}

// Inference: y (batch × 10) = softmax(fc2(relu(fc1(x)))), x batch × 784, both the caller's memory.
int snt_forward(void* handle, const float* x, int batch, float* y) {
    return guarded([&] {
        auto* h = static_cast<Handle*>(handle);
        torch::InferenceMode inference;
        auto input = torch::from_blob(const_cast<float*>(x), {batch, Input});
        auto output = torch::from_blob(y, {batch, Output});
        torch::softmax_out(output, h->net->forward(input), 1);
    });
}

// One training step: forward, mean cross-entropy against the labels, backward, p -= lr·dL/dp. *loss gets the loss
// before the update.
int snt_train_step(void* handle, const float* x, const int* labels, int batch, float lr, float* loss) {
    return guarded([&] {
        auto* h = static_cast<Handle*>(handle);
        auto input = torch::from_blob(const_cast<float*>(x), {batch, Input});
        auto target = h->labels.narrow(0, 0, batch);
        int64_t* t = target.data_ptr<int64_t>();
        for (int i = 0; i < batch; i++) t[i] = labels[i];
        static_cast<torch::optim::SGDOptions&>(h->sgd.param_groups()[0].options()).lr(lr);
        h->sgd.zero_grad();
        auto l = torch::nn::functional::cross_entropy(h->net->forward(input), target);
        l.backward();
        h->sgd.step();
        *loss = l.item<float>();
    });
}

}  // extern "C"
