"""Detectron2's DatasetMapper with page-image errors reported by file name."""
from detectron2.data import DatasetMapper
from detectron2.data.detection_utils import SizeMismatchError

from ..errors import DatasetError


class DocumentDatasetMapper(DatasetMapper):
    """DatasetMapper whose unreadable or mis-sized images raise a DatasetError naming the file."""

    def __call__(self, dataset_dict):
        file_name = dataset_dict.get("file_name", "<no file_name>")
        try:
            return super().__call__(dataset_dict)
        except FileNotFoundError:
            raise DatasetError(f"image {file_name} does not exist") from None
        except SizeMismatchError as err:
            raise DatasetError(f"image {file_name}: {err}") from None
        except OSError as err:
            raise DatasetError(f"image {file_name} cannot be read as an image: {err}") from None
