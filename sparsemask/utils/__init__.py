from sparsemask.utils.atomic_write import atomic_open  # NOQA
from sparsemask.utils.atomic_write import atomic_write_text  # NOQA
from sparsemask.utils.check_writable import check_writable  # NOQA
from sparsemask.utils.file_sha256 import file_sha256  # NOQA
from sparsemask.utils.one_line import one_line  # NOQA
from sparsemask.utils.pil_backend import pil_backend  # NOQA
from sparsemask.utils.reuse_freed_memory import reuse_freed_memory  # NOQA
from sparsemask.utils.reuse_freed_memory import reusing_freed_memory  # NOQA
