"""camtune engine: captures, the ISP pipeline and its kernels. Never imports Qt."""
