"""Pagination for every list: `{count, next, previous, results}` with `?page=` and `?page_size=`."""

from rest_framework.pagination import PageNumberPagination as _Base


class PageNumberPagination(_Base):
    """Page-number pagination that lets the client choose the page size, up to 500."""

    page_size_query_param = "page_size"
    max_page_size = 500
