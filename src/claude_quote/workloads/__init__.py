"""Workload readers: files of requests, batch results and usage exports, validated line by line."""
