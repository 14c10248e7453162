2-- A ro stays in  ou "o¼,
 "o¼,
}
