"""Whole networks read from elsewhere: PyTorch modules and ONNX files, as a :class:`~symconv.stack.Stack`."""
