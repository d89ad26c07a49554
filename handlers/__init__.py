"""Handlers, one module per capability. The registry below is the one place that says
which words start which handler and which guided dialog (flow) owns a user's next message.
"""
