// The benchmarks' two networks in libtorch's C++ API, written as a libtorch user would write them, behind a C interface
// that LibTorchBenchmarks calls through P/Invoke: the reference MLP (784 -> Linear(100) -> ReLU -> Linear(10)) and the
// book's SimpleConvNet (1x28x28 -> Conv2d(30, 5) -> ReLU -> MaxPool2d(2) -> Linear(100) -> ReLU -> Linear(10)), each
// with softmax for inference and cross-entropy for training.
// Build: ./build.sh in this folder (needs g++ and Debian's libtorch-dev; see README.md here).
#include <torch/torch.h>
#include <cstring>
#include <string>
#include <vector>

namespace {

// A network: its forward pass to logits, and its parameters to and from the benchmarks' canonical flat layout.
struct Net : torch::nn::Module {
    virtual torch::Tensor forward(const torch::Tensor& x) = 0;  // x: batch × inputs, as the caller's rows
    virtual void copy_parameters(float* p, bool in) = 0;        // in: p → the network; else the network → p
    virtual int64_t inputs() const = 0;
};

// One block of the flat layout at p, of `shape` as the layout stores it (the transpose of the tensor's when
// `transposed`), copied in or out; p moves past it.
void copy_block(torch::Tensor& tensor, float*& p, torch::IntArrayRef shape, bool transposed, bool in) {
    auto block = torch::from_blob(p, shape);
    if (in) tensor.copy_(transposed ? block.t() : block);
    else block.copy_(transposed ? tensor.t() : tensor);
    p += block.numel();
}

// The reference MLP. Canonical layout: W1 [784, 100] row-major (h = x·W1 + b1), b1, W2 [100, 10], b2; nn::Linear
// keeps its weight as [out, in], the transpose.
struct Mlp : Net {
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
    Mlp() {
        fc1 = register_module("fc1", torch::nn::Linear(784, 100));
        fc2 = register_module("fc2", torch::nn::Linear(100, 10));
    }
    torch::Tensor forward(const torch::Tensor& x) override { return fc2->forward(torch::relu(fc1->forward(x))); }
    void copy_parameters(float* p, bool in) override {
        torch::NoGradGuard no_grad;
        copy_block(fc1->weight, p, {784, 100}, true, in);
        copy_block(fc1->bias, p, {100}, false, in);
        copy_block(fc2->weight, p, {100, 10}, true, in);
        copy_block(fc2->bias, p, {10}, false, in);
    }
    int64_t inputs() const override { return 784; }
};

// The book's SimpleConvNet (ch. 7). Canonical layout: W1 [30, 1, 5, 5] (Conv2d's own), b1, W2 [4320, 100], b2,
// W3 [100, 10], b3; the flattened features in (channel, row, column) order, which is Conv2d's NCHW flattened.
struct SimpleConvNet : Net {
    torch::nn::Conv2d conv{nullptr};
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
    SimpleConvNet() {
        conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 30, 5)));
        fc1 = register_module("fc1", torch::nn::Linear(30 * 12 * 12, 100));
        fc2 = register_module("fc2", torch::nn::Linear(100, 10));
    }
    torch::Tensor forward(const torch::Tensor& x) override {
        auto h = torch::max_pool2d(torch::relu(conv->forward(x.view({-1, 1, 28, 28}))), 2);
        return fc2->forward(torch::relu(fc1->forward(h.flatten(1))));
    }
    void copy_parameters(float* p, bool in) override {
        torch::NoGradGuard no_grad;
        copy_block(conv->weight, p, {30, 1, 5, 5}, false, in);
        copy_block(conv->bias, p, {30}, false, in);
        copy_block(fc1->weight, p, {4320, 100}, true, in);
        copy_block(fc1->bias, p, {100}, false, in);
        copy_block(fc2->weight, p, {100, 10}, true, in);
        copy_block(fc2->bias, p, {10}, false, in);
    }
    int64_t inputs() const override { return 784; }
};

struct Handle {
    std::shared_ptr<Net> net;
    torch::optim::SGD sgd;
    torch::Tensor labels;  // int64, the batch capacity long: cross_entropy wants class indices as int64
    Handle(std::shared_ptr<Net> network, int capacity)
        : net(std::move(network)), sgd(net->parameters(), torch::optim::SGDOptions(0.1)),
          labels(torch::zeros({capacity}, torch::kInt64)) {}
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

// network: 0 the MLP, 1 SimpleConvNet. threads: libtorch's intra-op threads (at::set_num_threads, which is per process).
void* snt_create(int network, int capacity, int threads) {
    Handle* h = nullptr;
    int status = guarded([&] {
        at::set_num_threads(threads);
        torch::manual_seed(0);
        std::shared_ptr<Net> net;
        if (network == 0) net = std::make_shared<Mlp>();
        else if (network == 1) net = std::make_shared<SimpleConvNet>();
        else throw std::invalid_argument("unknown network " + std::to_string(network));
        h = new Handle(std::move(net), capacity);
    });
    return status == 0 ? h : nullptr;
}

void snt_destroy(void* handle) { delete static_cast<Handle*>(handle); }

// p: the parameters in the canonical flat layout of the network (see its copy_parameters).
int snt_set_parameters(void* handle, const float* p) {
    return guarded([&] { static_cast<Handle*>(handle)->net->copy_parameters(const_cast<float*>(p), true); });
}

int snt_get_parameters(void* handle, float* p) {
    return guarded([&] { static_cast<Handle*>(handle)->net->copy_parameters(p, false); });
}

// Inference: y (batch × 10) = softmax of the logits of x (batch × inputs), both the caller's memory.
int snt_forward(void* handle, const float* x, int batch, float* y) {
    return guarded([&] {
        auto* h = static_cast<Handle*>(handle);
        torch::InferenceMode inference;
        auto input = torch::from_blob(const_cast<float*>(x), {batch, h->net->inputs()});
        auto output = torch::from_blob(y, {batch, 10});
        torch::softmax_out(output, h->net->forward(input), 1);
    });
}

// One training step: forward, mean cross-entropy against the labels, backward, p -= lr·dL/dp. *loss gets the loss
// before the update.
int snt_train_step(void* handle, const float* x, const int* labels, int batch, float lr, float* loss) {
    return guarded([&] {
        auto* h = static_cast<Handle*>(handle);
        auto input = torch::from_blob(const_cast<float*>(x), {batch, h->net->inputs()});
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
